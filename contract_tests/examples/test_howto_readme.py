"""The README's library and pytest examples, run as tests against the in-process mock."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract_tests.strategies import ASSETS
from kling_lipsync import TaskFailed
from kling_lipsync.testing import KlingMock


def test_readme_library_example(kling_mock: KlingMock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "line.mp3").write_bytes((ASSETS / "tone.mp3").read_bytes())
    updates: list[str] = []
    with kling_mock.lipsync() as lip:
        created = lip.create_text(
            "Welcome!", "oversea_male1", voice_language="en", video_url="https://example.com/face.mp4"
        )
        try:
            task = lip.wait(created.task_id, timeout=900, on_update=lambda t: updates.append(str(t.task_status)))
        except TaskFailed as failure:
            raise SystemExit(f"Kling said: {failure.message}") from failure
        lip.download(task, "lipsynced.mp4", on_progress=lambda done, total: None)
        audio = lip.create_audio(audio_path="line.mp3", video_id=task.task_result.videos[0].id)
    assert updates[-1] == "succeed"
    assert (tmp_path / "lipsynced.mp4").read_bytes()[4:8] == b"ftyp"
    assert audio.task_id != created.task_id


@pytest.mark.kling_mock(max_in_flight=1, queue_seconds=20, processing_seconds=160)
def test_my_pipeline(kling_mock, kling_client):
    created = kling_client.create_text("Hi", "AOT", voice_language="en", video_url="https://example.com/a.mp4")
    assert kling_client.wait(created.task_id).task_status == "succeed"  # 3 virtual minutes, no real wait
    kling_mock.assert_request_made(method="POST", count=1)
    with kling_mock.lipsync(scenario="no-human") as failing, pytest.raises(TaskFailed):
        failing.wait(
            failing.create_text("Hi", "AOT", voice_language="en", video_url="https://example.com/a.mp4").task_id
        )
