"""`make clients`, last step: start the mock on a free port and run the TypeScript round trip against it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kling_lipsync.testing import free_port, wait_until_up

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KLING_MOCK_QUEUE_SECONDS": "0.2", "KLING_MOCK_PROCESSING_SECONDS": "0.5"}
    mock = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "--port", str(port), "--no-log-requests"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"{url}/__mock__/health", mock)
        script = ROOT / "clients" / "typescript" / "build" / "js" / "roundtrip.js"
        return subprocess.run(["node", str(script), f"{url}/kling"], cwd=ROOT).returncode
    finally:
        mock.terminate()
        mock.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
