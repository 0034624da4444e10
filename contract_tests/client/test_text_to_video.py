"""Text in, lip-synced video out, over real HTTP on both gateways: through the generated client and through
raw HTTP (text-to-speech, identify-face, advanced lip-sync of the audio id, the result downloaded and decoded).
``LipSync``, the CLI and the TypeScript client go the same way in their own tests (test_client_advanced.py,
test_cli_speak.py, test_other_languages.py)."""

from __future__ import annotations

import io
import time
from typing import Any

import av
import httpx
import numpy as np
import pytest

from contract_tests.servers import GunicornMock
from kling_lipsync_client import AuthenticatedClient
from kling_lipsync_client.api.advanced_lip_sync import (
    create_advanced_lip_sync_task,
    get_advanced_lip_sync_task,
    identify_faces,
)
from kling_lipsync_client.api.tts import text_to_speech
from kling_lipsync_client.models import (
    AdvancedLipSyncCreateRequest,
    AdvancedLipSyncTaskCreatedResponse,
    AdvancedLipSyncTaskResponse,
    FaceChoice,
    FaceSessionResponse,
    IdentifyFaceRequest,
    TtsRequest,
    TtsResponse,
    VoiceLanguage,
)
from kling_spec.families import family
from mock_server import results
from mock_server.settings import Settings

TTS = family("tts").operation("synchronous").path
ADVANCED = family("advanced-lip-sync")
VIDEO = "https://example.com/speaker.mp4"
TEXT = "Text in, a lip-synced video out, on both gateways."  # 51 characters of English: 3.672 s
INSERT_MS = 2000


def base_url(mock: GunicornMock, gateway: str) -> tuple[str, str]:
    """The gateway's base URL and an account's token there."""
    return (f"{mock.url}/kling", "sk-text-to-video") if gateway == "dmxapi" else (mock.url, Settings().api_key)


def sound_is_where_it_was_put(result: dict[str, Any]) -> None:
    data = httpx.get(result["url"]).content
    with av.open(io.BytesIO(data)) as container:
        assert container.duration is not None
        length_s = container.duration / 1_000_000
        pcm = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)])
    assert length_s == float(result["duration"]), "the reported duration is the file's"
    rate = results.RATE
    before = pcm[: INSERT_MS * rate // 1000 - rate // 10]
    spoken = pcm[INSERT_MS * rate // 1000 + rate // 10 : (INSERT_MS + 3500) * rate // 1000]
    assert np.sqrt(np.mean(before**2)) < 0.005, "silent before the audio"
    assert np.sqrt(np.mean(spoken**2)) > 0.05, "the speech where it was inserted"


@pytest.mark.parametrize("gateway", ["dmxapi", "kling"])
def test_through_the_generated_client(served_mock: GunicornMock, gateway: str) -> None:
    url, token = base_url(served_mock, gateway)
    with AuthenticatedClient(base_url=url, token=token) as client:
        spoken = text_to_speech.sync(
            client=client, body=TtsRequest(text=TEXT, voice_id="oversea_male1", voice_language=VoiceLanguage.EN)
        )
        assert isinstance(spoken, TtsResponse), spoken
        (audio,) = spoken.data.task_result.audios
        audio_ms = round(float(audio.duration) * 1000)
        session = identify_faces.sync(client=client, body=IdentifyFaceRequest(video_url=VIDEO))
        assert isinstance(session, FaceSessionResponse), session
        choice = FaceChoice(face_id=session.data.face_data[0].face_id, audio_id=audio.id, sound_start_time=0,
                            sound_end_time=audio_ms, sound_insert_time=INSERT_MS)  # fmt: skip
        body = AdvancedLipSyncCreateRequest(session_id=session.data.session_id, face_choose=[choice])
        created = create_advanced_lip_sync_task.sync(client=client, body=body)
        assert isinstance(created, AdvancedLipSyncTaskCreatedResponse), created
        deadline = time.monotonic() + 30
        while True:
            task = get_advanced_lip_sync_task.sync(created.data.task_id, client=client)
            assert isinstance(task, AdvancedLipSyncTaskResponse), task
            if task.data.task_status == "succeed" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert task.data.task_status == "succeed"
    sound_is_where_it_was_put(task.data.task_result.videos[0].to_dict())


@pytest.mark.parametrize("gateway", ["dmxapi", "kling"])
def test_through_raw_http(served_mock: GunicornMock, gateway: str) -> None:
    url, token = base_url(served_mock, gateway)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        speech = http.post(TTS, json={"text": TEXT, "voice_id": "oversea_male1", "voice_language": "en"}).json()
        audio = speech["data"]["task_result"]["audios"][0]
        session = http.post(ADVANCED.operation("session").path, json={"video_url": VIDEO}).json()["data"]
        choice = {"face_id": "0", "audio_id": audio["id"], "sound_start_time": 0,
                  "sound_end_time": round(float(audio["duration"]) * 1000), "sound_insert_time": INSERT_MS}  # fmt: skip
        created = http.post(ADVANCED.collection_path, json={"session_id": session["session_id"],
                                                            "face_choose": [choice]}).json()  # fmt: skip
        assert created["code"] == 0, created
        path = ADVANCED.task_path.replace("{task_id}", created["data"]["task_id"])
        deadline = time.monotonic() + 30
        while (task := http.get(path).json()["data"])["task_status"] != "succeed" and time.monotonic() < deadline:
            time.sleep(0.1)
    assert task["task_status"] == "succeed"
    sound_is_where_it_was_put(task["task_result"]["videos"][0])
