"""The README's generated-client example, against the mock in-process."""

from kling_lipsync.testing import KlingMock
from kling_lipsync_client.api.lip_sync import create_lip_sync_task, get_lip_sync_task
from kling_lipsync_client.models import (
    LipSyncCreateRequest,
    LipSyncInput,
    LipSyncMode,
    TaskCreatedResponse,
    TaskResponse,
    TaskStatus,
    VoiceLanguage,
)


def test_readme_generated_client_example() -> None:
    with KlingMock() as mock:
        client = mock.generated_client(token="sk-...")
        body = LipSyncCreateRequest(
            input_=LipSyncInput(
                mode=LipSyncMode.TEXT2VIDEO,
                video_url="https://example.com/speaker.mp4",
                text="Hello!",
                voice_id="oversea_male1",
                voice_language=VoiceLanguage.EN,
            )
        )
        created = create_lip_sync_task.sync(client=client, body=body)
        assert isinstance(created, TaskCreatedResponse)
        mock.advance(10)
        task = get_lip_sync_task.sync(created.data.task_id, client=client)
        assert isinstance(task, TaskResponse)
        assert task.data.task_status is TaskStatus.SUCCEED
        assert task.data.task_result.videos[0].url.endswith(".mp4")
