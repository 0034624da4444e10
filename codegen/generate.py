"""Generate `generated_client/` from `openapi.yaml`, or check that the committed copy is current.

Usage: ``python codegen/generate.py`` regenerates in place; ``python codegen/generate.py --check``
generates into a temporary folder and exits 1 listing every file that differs.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
CONFIG = ROOT / "codegen" / "config.yaml"
OUTPUT = ROOT / "generated_client"


def generate(output: Path) -> None:
    """Run openapi-python-client (pinned in pyproject.toml) into `output`, failing on any warning."""
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ)
    # The post-hooks call `ruff` by name: use the venv's pinned one, and leave no cache behind.
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["RUFF_NO_CACHE"] = "true"
    command = [
        str(bin_dir / "openapi-python-client"),
        "generate",
        "--path",
        str(SPEC),
        "--config",
        str(CONFIG),
        "--meta",
        "uv",
        "--output-path",
        str(output),
        "--overwrite",
        "--fail-on-warning",
    ]
    subprocess.run(command, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)


def differences(left: Path, right: Path) -> list[str]:
    """List the relative paths that differ between two trees (missing on either side or changed)."""
    found: list[str] = []

    def walk(cmp: filecmp.dircmp[str], prefix: str) -> None:
        found.extend(f"{prefix}{name} (only in committed)" for name in cmp.left_only)
        found.extend(f"{prefix}{name} (only in regenerated)" for name in cmp.right_only)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        found.extend(f"{prefix}{name} (differs)" for name in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(left, right, ignore=["__pycache__", ".ruff_cache"]), "")
    return sorted(found)


def check() -> list[str]:
    """Regenerate into a temporary folder and return what differs from the committed client."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / OUTPUT.name
        generate(fresh)
        return differences(OUTPUT, fresh)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed client is stale")
    args = parser.parse_args()
    if not args.check:
        generate(OUTPUT)
        print(f"generated {OUTPUT.relative_to(ROOT)}/ from {SPEC.name}")
        return 0
    stale = check()
    if stale:
        print("generated_client/ does not match openapi.yaml; run `make generate`:", file=sys.stderr)
        for line in stale:
            print(f"  {line}", file=sys.stderr)
        return 1
    print("generated_client/ matches openapi.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
