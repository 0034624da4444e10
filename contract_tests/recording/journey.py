"""The script of the record/replay round trip: a legacy task and an advanced task, each run to its end.

``journey(base_url, token, advance)`` runs over raw HTTP (the Kling gateway for the legacy task, DMXAPI's for
the advanced one) and returns what a client sees: each task's id, the statuses its polls showed in order,
and its result URLs. ``advance`` moves the clock of whatever answers (the upstream's through the recorder, the
replaying mock's on replay) between polls, so both runs poll at the same offsets.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from kling_spec.families import family

ASSETS = Path(__file__).parents[1] / "assets"
LEGACY = family("lip-sync")
ADVANCED = family("advanced-lip-sync")
VIDEO_URL = "https://example.com/speaker.mp4"
#: A real 3 s MP3: base64 in both creates, so the cassettes keep it as a media reference.
AUDIO = base64.b64encode((ASSETS / "line-3s.mp3").read_bytes()).decode()
POLL_STEP_MS = 700


@dataclass(frozen=True)
class Seen:
    """What a client saw of one task."""

    family: str
    task_id: str
    statuses: tuple[str, ...]
    result_urls: tuple[str, ...]


def journey(base_url: str, token: str, advance: Callable[[int], object], *, dmxapi_token: str) -> list[Seen]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        kling = {"Authorization": f"Bearer {token}"}
        dmxapi = {"Authorization": f"Bearer {dmxapi_token}"}
        legacy_body = {
            "input": {"mode": "audio2video", "video_url": VIDEO_URL, "audio_type": "file", "audio_file": AUDIO}
        }
        legacy = _created(http.post(LEGACY.collection_path, json=legacy_body, headers=kling))
        seen = [_followed(http, LEGACY.task_path, "lip-sync", legacy, kling, advance)]
        opened = _data(
            http.post("/kling" + ADVANCED.operation("session").path, json={"video_url": VIDEO_URL}, headers=dmxapi)
        )
        choice = {
            "face_id": opened["face_data"][0]["face_id"],
            "sound_file": AUDIO,
            "sound_start_time": 0,
            "sound_end_time": 3000,
            "sound_insert_time": 1000,
        }
        advanced_body = {"session_id": opened["session_id"], "face_choose": [choice]}
        advanced = _created(http.post("/kling" + ADVANCED.collection_path, json=advanced_body, headers=dmxapi))
        seen.append(_followed(http, "/kling" + ADVANCED.task_path, "advanced-lip-sync", advanced, dmxapi, advance))
        return seen


def _data(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["code"] == 0, body
    return body["data"]


def _created(answer: httpx.Response) -> str:
    return str(_data(answer)["task_id"])


def _followed(
    http: httpx.Client,
    template: str,
    name: str,
    task_id: str,
    headers: dict[str, str],
    advance: Callable[[int], object],
) -> Seen:
    statuses: list[str] = []
    for _ in range(60):
        task = _data(http.get(template.replace("{task_id}", task_id), headers=headers))
        assert task["task_id"] == task_id
        if not statuses or statuses[-1] != task["task_status"]:
            statuses.append(task["task_status"])
        if task["task_status"] in ("succeed", "failed"):
            urls = tuple(video["url"] for video in task["task_result"].get("videos", []))
            return Seen(name, task_id, tuple(statuses), urls)
        advance(POLL_STEP_MS)
    raise AssertionError(f"{name} task {task_id} had not finished after 60 polls: {statuses}")
