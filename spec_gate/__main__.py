"""``python -m spec_gate`` (``make spec-check``): judge ``openapi.yaml`` against the last released spec.

    python -m spec_gate                       # against the last release before openapi.yaml's version
    python -m spec_gate --base 4303ba0        # a git revision of openapi.yaml, or a file
    python -m spec_gate --new my-copy.yaml    # another document than openapi.yaml

Exit 0 when the version number allows what changed, 1 when it does not (a breaking change without a new major
version, an addition without a new minor one, a change after a release without a new version) or when a
judge could not judge, 2 for a use that cannot work (no such base).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .history import HISTORY, Version, base_text, edited_releases, released, version_of
from .judges import ROOT, Change, examples, specmatic, specmatic_jar, structure
from .old_client import old_client
from .verdict import Verdict, decide, render

__all__ = ["judge", "main"]


def _load(text: str) -> Any:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def judge(
    old_text: str,
    new_text: str,
    *,
    use_specmatic: bool = True,
    use_old_client: bool = True,
    recordings: Path | None = None,
    new_path: Path | None = None,
) -> tuple[list[Change], list[str], list[str]]:
    """Every judge's findings on ``old_text`` -> ``new_text``, the judges that could not judge (and why), and
    notes on what a judge could not compare."""
    old, new = _load(old_text), _load(new_text)
    changes = structure(old, new) + examples(old, new, recordings, new_path)
    unjudged: list[str] = []
    notes: list[str] = []
    if use_old_client:
        try:
            found, said = old_client(old_text, new_text)
            changes += found
            notes.extend(said)
        except RuntimeError as exc:
            unjudged.append(f"old client: {exc}")
    if use_specmatic:
        jar = specmatic_jar()
        if jar is None:
            unjudged.append("specmatic: its jar is not installed (npm ci installs it: make spec-check does)")
        else:
            try:
                changes += specmatic(old, new, jar)
            except RuntimeError as exc:
                unjudged.append(f"specmatic: {exc}")
    return changes, unjudged, notes


def verdict_of(
    old_text: str, new_text: str, base: Version, new: Version, **options: Any
) -> tuple[list[Change], Verdict]:
    changes, unjudged, notes = judge(old_text, new_text, **options)
    differs = _load(old_text) != _load(new_text)
    return changes, decide(changes, base, new, differs, unjudged, notes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spec_gate", description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="a file, or a git revision of openapi.yaml (default: the last release)")
    parser.add_argument("--new", type=Path, default=ROOT / "openapi.yaml", help="the document to judge")
    parser.add_argument("--no-specmatic", action="store_true", help="leave Specmatic out (it needs Java and npm ci)")
    parser.add_argument("--no-old-client", action="store_true", help="leave the old generated client's run out")
    parser.add_argument(
        "--recordings", type=Path, default=ROOT / "recordings", help="folders of cassettes that must still replay"
    )
    args = parser.parse_args(argv)
    try:
        new_text = args.new.read_text(encoding="utf-8")
        new_version = version_of(new_text)
        same = new_version in released() and _load(released()[new_version].read_text(encoding="utf-8")) == _load(
            new_text
        )
        old_text, base_name = base_text(args.base, new_version, same)
        base_version = version_of(old_text)
    except (OSError, ValueError) as exc:
        print(f"spec_gate: {exc}", file=sys.stderr)
        return 2
    recordings = args.recordings if args.recordings.is_dir() else None
    changes, verdict = verdict_of(
        old_text,
        new_text,
        base_version,
        new_version,
        use_specmatic=not args.no_specmatic,
        use_old_client=not args.no_old_client,
        recordings=recordings,
        new_path=args.new,
    )
    print(render(changes, verdict, base_name, base_version, new_version))
    return 1 if _history_failures(args.base, new_version, verdict) or verdict.failures else 0


def _history_failures(base: str | None, new_version: Version, verdict: Verdict) -> list[str]:
    """What is wrong with the releases themselves, printed as ``FAIL`` lines: an edited release, a version
    below the newest release, a version not yet kept."""
    failures = [f"{path} was edited after its release: a release is never changed" for path in edited_releases()]
    versions = list(released())
    if base is None and versions and new_version < versions[-1]:
        failures.append(f"openapi.yaml's version {new_version} is below the newest release {versions[-1]}")
    if base is None and not verdict.failures and new_version not in versions:
        failures.append(
            f"{new_version} is not in {HISTORY.name}/: copy openapi.yaml to {HISTORY.name}/{new_version}.yaml"
        )
    for failure in failures:
        print(f"FAIL: {failure}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
