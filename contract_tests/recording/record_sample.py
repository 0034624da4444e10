"""Record ``recordings/from-the-mock/`` again: the round trip of the record/replay tests, through the recorder.

    python -m contract_tests.recording.record_sample

The upstream is the mock (``kling-lipsync mock --clock virtual``), so the cassette says so in its metadata.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from contract_tests.recording.conftest import record_session

ROOT = Path(__file__).resolve().parents[2]

FOLDER = ROOT / "recordings" / "from-the-mock"
NOTE = (
    "Recorded from the mock (kling-lipsync mock --clock virtual), not from Kling, by "
    "contract_tests/recording/record_sample.py: a legacy task and an advanced task run to their ends, a list page, "
    "an unknown task, a 500, a refused create."
)


def main() -> int:
    shutil.rmtree(FOLDER, ignore_errors=True)
    FOLDER.mkdir(parents=True)
    record_session(FOLDER, NOTE)
    (recorded,) = FOLDER.glob("*.yaml")
    recorded.rename(FOLDER / "journey.yaml")
    print(f"wrote {FOLDER / 'journey.yaml'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
