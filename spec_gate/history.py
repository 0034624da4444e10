"""The released specs, kept in ``spec-history/<info.version>.yaml``, and their semantic versions."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import NamedTuple

__all__ = ["HISTORY", "Version", "base_text", "released", "version_of"]

HISTORY = Path(__file__).resolve().parent.parent / "spec-history"
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_INFO_VERSION = re.compile(r"^info:\n(?:  .*\n)*?  version: ['\"]?([^'\"\n]+)['\"]?$", re.M)


class Version(NamedTuple):
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        found = _VERSION.match(text.strip())
        if found is None:
            raise ValueError(f"info.version {text!r} is not a semantic version (MAJOR.MINOR.PATCH)")
        return cls(*map(int, found.groups()))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def version_of(text: str) -> Version:
    """The ``info.version`` of a spec's text (read without parsing the whole document)."""
    found = _INFO_VERSION.search(text)
    if found is None:
        raise ValueError("no info.version in the document")
    return Version.parse(found.group(1))


def released() -> dict[Version, Path]:
    """Every released spec, by version, oldest first."""
    files = {Version.parse(path.stem): path for path in HISTORY.glob("*.yaml")}
    return dict(sorted(files.items()))


def base_text(base: str | None, new_version: Version, same_as_released: bool) -> tuple[str, str]:
    """The spec to compare with, and its name: ``base`` (a file, or a git revision of ``openapi.yaml``); else
    the release ``new_version`` names when the document differs from it (a change after a release, which needs
    a new version), or the last release before ``new_version``."""
    if base is not None:
        path = Path(base)
        if path.is_file():
            return path.read_text(encoding="utf-8"), str(path)
        done = subprocess.run(["git", "show", f"{base}:openapi.yaml"], capture_output=True, text=True)
        if done.returncode != 0:
            raise ValueError(f"--base {base}: neither a file nor a git revision with openapi.yaml")
        return done.stdout, f"{base}:openapi.yaml"
    versions = released()
    earlier = [version for version in versions if version < new_version]
    chosen = earlier[-1] if earlier and (same_as_released or new_version not in versions) else new_version
    if chosen not in versions:
        raise ValueError(f"spec-history/ holds no release to compare {new_version} with")
    return versions[chosen].read_text(encoding="utf-8"), f"spec-history/{chosen}.yaml"
