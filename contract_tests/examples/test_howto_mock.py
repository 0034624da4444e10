"""The README's in-process example, run as a test so it cannot rot."""

from kling_lipsync.testing import CallbackReceiver, KlingMock


def test_readme_in_process_example() -> None:
    with KlingMock() as mock, CallbackReceiver() as receiver, mock.httpx_client("sk-test") as http:
        body = {
            "input": {
                "mode": "audio2video",
                "video_url": "https://example.com/a.mp4",
                "audio_type": "url",
                "audio_url": "https://example.com/a.mp3",
            },
            "callback_url": receiver.url,
        }
        task_id = http.post("/v1/videos/lip-sync", json=body).json()["data"]["task_id"]
        mock.advance(10)
        assert http.get(f"/v1/videos/lip-sync/{task_id}").json()["data"]["task_status"] == "succeed"
        assert [c.json()["task_status"] for c in receiver.wait_for(3)] == ["submitted", "processing", "succeed"]
