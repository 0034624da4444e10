"""The released specs, kept in ``spec-history/<info.version>.yaml``, and their semantic versions.

A release is never edited: ``edited_releases`` asks git whether a file of ``spec-history/`` changed after the
commit that added it (or has uncommitted changes), so a change cannot hide by rewriting the release it breaks.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import yaml

__all__ = ["HISTORY", "Version", "base_text", "edited_releases", "released", "version_of"]

HISTORY = Path(__file__).resolve().parent.parent / "spec-history"
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


class Version(NamedTuple):
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        found = _VERSION.match(str(text).strip())
        if found is None:
            raise ValueError(f"info.version {text!r} is not a semantic version (MAJOR.MINOR.PATCH, no pre-release)")
        return cls(*map(int, found.groups()))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def version_of(text: str) -> Version:
    """The ``info.version`` of a spec's text."""
    document: Any = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    version = document.get("info", {}).get("version") if isinstance(document, dict) else None
    if version is None:
        raise ValueError("no info.version in the document")
    return Version.parse(str(version))


def released() -> dict[Version, Path]:
    """Every released spec, by version, oldest first (``ValueError`` for a file that is not one)."""
    files: dict[Version, Path] = {}
    for path in HISTORY.glob("*.yaml"):
        version = Version.parse(path.stem)
        if version_of(path.read_text(encoding="utf-8")) != version:
            raise ValueError(f"{HISTORY.name}/{path.name}: its info.version is not {version}")
        files[version] = path
    return dict(sorted(files.items()))


def edited_releases() -> list[str]:
    """The files of ``spec-history/`` changed after the commit that added them, or changed and not committed
    (none when git or the history is not there to ask: a copy without ``.git``)."""
    root = HISTORY.parent
    if not (root / ".git").exists():
        return []
    edited = []
    for path in sorted(HISTORY.glob("*.yaml")):
        relative = str(path.relative_to(root))
        commits = subprocess.run(["git", "log", "--format=%H", "--", relative], cwd=root, capture_output=True,
                                 text=True).stdout.split()  # fmt: skip
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", relative], cwd=root).returncode != 0
        if len(commits) > 1 or (commits and dirty):
            edited.append(relative)
    return edited


def base_text(base: str | None, new_version: Version, same_as_released: bool) -> tuple[str, str]:
    """The spec to compare with, and its name: ``base`` (a file, or a git revision of ``openapi.yaml``); else
    the release ``new_version`` names when the document differs from it (a change after a release, which needs
    a new version), or the last release before ``new_version``."""
    root = HISTORY.parent
    if base is not None:
        path = Path(base)
        if path.is_file():
            return path.read_text(encoding="utf-8"), str(path)
        done = subprocess.run(["git", "show", f"{base}:openapi.yaml"], cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            raise ValueError(f"--base {base}: neither a file nor a git revision that has openapi.yaml")
        return done.stdout, f"{base}:openapi.yaml"
    versions = released()
    earlier = [version for version in versions if version < new_version]
    chosen = earlier[-1] if earlier and (same_as_released or new_version not in versions) else new_version
    if chosen not in versions:
        raise ValueError(f"{HISTORY.name}/ holds no release to compare {new_version} with")
    return versions[chosen].read_text(encoding="utf-8"), f"{HISTORY.name}/{chosen}.yaml"
