"""Take ``docs/dashboard.png``, the README's picture of the dashboard: a mock with tasks of both families.

    .venv/bin/python docs/screenshot.py [--out docs/dashboard.png]

Starts the production command (``python -m mock_server``) on the virtual clock with a webhook secret, makes
a few tasks through the client as an application would (one with a callback, one failing, one advanced, one
of a scenario defined at run time), moves the clock between them, and photographs ``/__mock__/`` in Debian's
headless Chromium (``apt-get install chromium``; Playwright's own browser download is not needed) at 1280 px.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from kling_lipsync import LipSync, plan_advanced
from kling_lipsync.testing import CallbackReceiver, free_port

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 1280, 1000
WEBHOOK_SECRET = "whsec_ZG9jcy1zY3JlZW5zaG90LXdlYmhvb2stc2VjcmV0"
VIDEO = "https://example.com/presenter.mp4"


@contextlib.contextmanager
def served_mock() -> Iterator[str]:
    """The mock on a free port, virtual clock; its base URL until the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "mock_server", "--port", str(port), "--clock", "virtual"]
    env = {**os.environ, "KLING_MOCK_LOG_REQUESTS": "false", "KLING_MOCK_WEBHOOK_SECRET": WEBHOOK_SECRET}
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/__mock__/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(f"the mock did not start on {url}") from None
                time.sleep(0.05)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


def stage(url: str, callback_url: str) -> None:
    """A few tasks at different points of their lives, with polls, callbacks and a run-time scenario."""
    admin = httpx.Client(base_url=f"{url}/__mock__")

    def advance(seconds: float) -> None:
        admin.post("/clock/advance", json={"seconds": seconds}).raise_for_status()

    admin.put(
        "/scenarios/late-failure",
        json={"timeline": {"queue_seconds": 2, "processing_seconds": 20, "outcome": "failed",
                           "failure_message": "there is no human in the video"}},
    ).raise_for_status()  # fmt: skip
    with LipSync(f"{url}/kling", "sk-studio-alice") as alice:
        done = alice.create_text("Welcome!", "oversea_male1", voice_language="en", video_url=VIDEO,
                                 callback_url=callback_url)  # fmt: skip
        advance(2)
        alice.get(done.task_id)
        advance(4)
        alice.get(done.task_id)
        session = alice.identify_faces(video_url=VIDEO)
        plan = plan_advanced(session.face_data, audio_ms=3000)
        advanced = alice.create_advanced(session.session_id, plan.face_id, sound_file="https://example.com/line.mp3",
                                         watermark=True, **plan.times)  # fmt: skip
        advance(3)
        alice.get_advanced(advanced.task_id)
    with LipSync(f"{url}/scenario/no-human/kling", "sk-studio-bob") as bob:
        failing = bob.create_text("Hi", "oversea_male1", voice_language="en", video_url=VIDEO)
        advance(1.5)
        bob.get(failing.task_id)
    with LipSync(f"{url}/scenario/late-failure/kling", "sk-studio-carol") as carol:
        late = carol.create_text("Later", "oversea_male1", voice_language="en", video_url=VIDEO)
        advance(3)
        carol.get(late.task_id)
    advance(1)
    with LipSync(f"{url}/kling", "sk-studio-alice") as alice:
        alice.create_text("And one more", "oversea_male1", voice_language="en", video_url=VIDEO)


def photograph(url: str, out: Path) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1)
        page.goto(f"{url}/__mock__/")
        page.locator("#task-list > li").nth(4).wait_for()
        page.get_by_role("button", name="Pause live updates").click()
        # The finished task with a callback: its polls drawn on its timeline, its video ready to play.
        page.locator("#task-list > li").last.locator("summary").click()
        page.locator("#task-list > li").last.locator(".polls li").first.wait_for()
        page.mouse.move(0, 0)
        page.screenshot(path=str(out), full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dashboard.png", help="Where to save the PNG.")
    args = parser.parse_args()
    with served_mock() as url, CallbackReceiver() as receiver:
        stage(url, receiver.url)
        photograph(url, args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
