"""Every Python example of the README type-checks with ``mypy --strict`` and runs, as the README shows it.

The examples are read from README.md itself, so an edit to the README is tested as written. Scripts run in a
folder of their own against the mock served over HTTP (``KLING_BASE_URL``, ``KLING_API_TOKEN``, as a user
would set them); examples that are pytest tests run under pytest with the plugin's fixtures.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.servers import ROOT, ProductionMock

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
EXAMPLES = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def file_name(index: int, code: str) -> str:
    return f"test_readme_{index}.py" if "\ndef test_" in code else f"readme_{index}.py"


def test_the_readme_has_python_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    for index, code in enumerate(EXAMPLES):
        (folder / file_name(index, code)).write_text(code, encoding="utf-8")
    # The library examples send local files: 0.2 s for legacy lip-sync, 3 s for advanced (at least 2 s).
    shutil.copy(ROOT / "demo" / "line.mp3", folder / "line.mp3")
    shutil.copy(ROOT / "demo" / "line-3s.mp3", folder / "line-3s.mp3")
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionMock]:
    mock = ProductionMock(workers=1, args=["--queue-seconds", "0.1", "--processing-seconds", "0.2"],
                          cwd=tmp_path_factory.mktemp("readme-server"))  # fmt: skip
    yield mock
    mock.stop()


def test_every_example_passes_mypy_strict(examples: Path) -> None:
    # The project's configuration for what it says of third-party packages (gunicorn has no types).
    mypy = [str(BIN / "mypy"), "--config-file", str(ROOT / "pyproject.toml"), "--strict"]
    checked = subprocess.run(
        [*mypy, "--cache-dir", str(examples / ".mypy_cache"), "."],
        cwd=examples,
        env={**os.environ, "MYPYPATH": f"{ROOT}:{ROOT / 'generated_client'}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_every_example_runs(index: int, examples: Path, server: ProductionMock) -> None:
    name = file_name(index, EXAMPLES[index])
    if name.startswith("test_"):
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name]
    else:
        command = [sys.executable, name]
    env = {**os.environ, "KLING_BASE_URL": f"{server.url}/kling", "KLING_API_TOKEN": f"sk-readme-{index}"}
    done = subprocess.run(command, cwd=examples, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
