"""`make demo`: the mock on a free port, then text2video, audio2video, advanced and text-driven advanced jobs
through the CLI.

Everything runs on this machine; the result videos land in ./out/. Takes a few seconds.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from kling_lipsync.testing import free_port, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out"
BIN = Path(sys.executable).parent
#: The advanced task's own id (`external_task_id`): the service finds the task by it as by its task_id.
ADVANCED_ID = "demo-advanced"


def run_cli(url: str, *args: str) -> None:
    command = [str(BIN / "kling-lipsync"), "--base-url", f"{url}/kling", "--token", "sk-demo", *args]
    # Quoted as a shell would need it, so a line can be pasted back to try it by hand.
    print("$", shlex.join(["kling-lipsync", *command[1:]]), flush=True)
    subprocess.run(command, check=True)


def main() -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KLING_MOCK_QUEUE_SECONDS": "0.5", "KLING_MOCK_PROCESSING_SECONDS": "1.5"}
    # A fresh store each run, even with KLING_MOCK_DB set to a file: ADVANCED_ID may be used only once.
    env["KLING_MOCK_DB"] = ":memory:"
    mock = subprocess.Popen(
        [str(BIN / "kling-lipsync"), "mock", "--port", str(port), "--no-log-requests"],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"{url}/__mock__/health", mock)
        print(f"mock server running on {url} (tasks take 2 s here; about 3 minutes at Kling)\n", flush=True)
        shutil.rmtree(OUT, ignore_errors=True)
        run_cli(url, "submit", "text", "--video-url", "https://example.com/speaker.mp4", "--text",
                "Hello from the Kling lip-sync toolkit", "--voice-id", "oversea_male1", "--voice-language", "en",
                "--expected-seconds", "2", "--out", str(OUT / "text2video.mp4"))  # fmt: skip
        run_cli(url, "submit", "audio", "--video-url", "https://example.com/speaker.mp4", "--audio-file",
                str(ROOT / "demo" / "line.mp3"), "--expected-seconds", "2", "--out",
                str(OUT / "audio2video.mp4"))  # fmt: skip
        run_cli(url, "list", "--limit", "5")
        # Advanced lip-sync: `faces` shows what `submit advanced` will choose from (it identifies the faces
        # itself, then plans the crop and the insert time around the 3.1 s file it measures).
        run_cli(url, "faces", "--video-url", "https://example.com/speaker.mp4")
        # --external-task-id names the task up front, so the download below is a fixed, pasteable line rather
        # than one holding an id read back from this run's output (the mock's store is new each run, see main).
        run_cli(url, "submit", "advanced", "--video-url", "https://example.com/speaker.mp4", "--audio-file",
                str(ROOT / "demo" / "line-3s.mp3"), "--watermark", "--external-task-id", ADVANCED_ID,
                "--expected-seconds", "2", "--out", str(OUT / "advanced.mp4"))  # fmt: skip
        run_cli(url, "download", "--family", "advanced-lip-sync", "--watermarked", ADVANCED_ID,
                str(OUT / "advanced-watermarked.mp4"))  # fmt: skip
        # From a text on Kling's current API: text-to-speech (its MP3 saved), then `submit advanced --text`,
        # which speaks, finds the faces and plans on the spoken length by itself.
        run_cli(url, "speak", "--text", "Hello from the Kling lip-sync toolkit, spoken first.", "--voice-id",
                "oversea_male1", "--out", str(OUT / "spoken.mp3"))  # fmt: skip
        run_cli(url, "submit", "advanced", "--video-url", "https://example.com/speaker.mp4", "--text",
                "Hello from the Kling lip-sync toolkit, spoken first.", "--voice-id", "oversea_male1",
                "--expected-seconds", "2", "--out", str(OUT / "spoken.mp4"))  # fmt: skip
    finally:
        mock.terminate()
        mock.wait(timeout=10)
    print("\nresults:")
    for video in sorted(OUT.glob("*.mp[34]")):
        print(f"  {video.relative_to(ROOT)}  ({video.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
