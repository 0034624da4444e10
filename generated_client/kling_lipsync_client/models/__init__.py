"""Contains all the data models used in inputs/outputs"""

from .audio_type import AudioType
from .error_response import ErrorResponse
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
from .voice_id_en import VoiceIdEn
from .voice_id_zh import VoiceIdZh
from .voice_language import VoiceLanguage

__all__ = (
    "AudioType",
    "ErrorResponse",
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
    "VoiceIdEn",
    "VoiceIdZh",
    "VoiceLanguage",
)
