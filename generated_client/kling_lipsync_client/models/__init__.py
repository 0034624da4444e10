"""Contains all the data models used in inputs/outputs"""

from .advanced_lip_sync_create_request import AdvancedLipSyncCreateRequest
from .advanced_lip_sync_task import AdvancedLipSyncTask
from .advanced_lip_sync_task_created import AdvancedLipSyncTaskCreated
from .advanced_lip_sync_task_created_response import AdvancedLipSyncTaskCreatedResponse
from .advanced_lip_sync_task_list_response import AdvancedLipSyncTaskListResponse
from .advanced_lip_sync_task_response import AdvancedLipSyncTaskResponse
from .advanced_result_video import AdvancedResultVideo
from .advanced_task_created_info import AdvancedTaskCreatedInfo
from .advanced_task_info import AdvancedTaskInfo
from .advanced_task_result import AdvancedTaskResult
from .audio_type import AudioType
from .balance_deduction import BalanceDeduction
from .error_response import ErrorResponse
from .face import Face
from .face_choice import FaceChoice
from .face_session import FaceSession
from .face_session_response import FaceSessionResponse
from .identify_face_request import IdentifyFaceRequest
from .lip_sync_create_request import LipSyncCreateRequest
from .lip_sync_input import LipSyncInput
from .lip_sync_mode import LipSyncMode
from .lip_sync_task import LipSyncTask
from .parent_video import ParentVideo
from .proxy_error_detail import ProxyErrorDetail
from .proxy_error_response import ProxyErrorResponse
from .result_video import ResultVideo
from .task_created import TaskCreated
from .task_created_response import TaskCreatedResponse
from .task_info import TaskInfo
from .task_list_response import TaskListResponse
from .task_response import TaskResponse
from .task_result import TaskResult
from .task_status import TaskStatus
from .tts_audio import TtsAudio
from .tts_request import TtsRequest
from .tts_response import TtsResponse
from .tts_result import TtsResult
from .tts_task import TtsTask
from .voice_id_en import VoiceIdEn
from .voice_id_zh import VoiceIdZh
from .voice_language import VoiceLanguage
from .watermark_info import WatermarkInfo

__all__ = (
    "AdvancedLipSyncCreateRequest",
    "AdvancedLipSyncTask",
    "AdvancedLipSyncTaskCreated",
    "AdvancedLipSyncTaskCreatedResponse",
    "AdvancedLipSyncTaskListResponse",
    "AdvancedLipSyncTaskResponse",
    "AdvancedResultVideo",
    "AdvancedTaskCreatedInfo",
    "AdvancedTaskInfo",
    "AdvancedTaskResult",
    "AudioType",
    "BalanceDeduction",
    "ErrorResponse",
    "Face",
    "FaceChoice",
    "FaceSession",
    "FaceSessionResponse",
    "IdentifyFaceRequest",
    "LipSyncCreateRequest",
    "LipSyncInput",
    "LipSyncMode",
    "LipSyncTask",
    "ParentVideo",
    "ProxyErrorDetail",
    "ProxyErrorResponse",
    "ResultVideo",
    "TaskCreated",
    "TaskCreatedResponse",
    "TaskInfo",
    "TaskListResponse",
    "TaskResponse",
    "TaskResult",
    "TaskStatus",
    "TtsAudio",
    "TtsRequest",
    "TtsResponse",
    "TtsResult",
    "TtsTask",
    "VoiceIdEn",
    "VoiceIdZh",
    "VoiceLanguage",
    "WatermarkInfo",
)
