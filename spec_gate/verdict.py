"""The gate's verdict: the judges' findings as one table, and whether the new version number allows them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .history import Version
from .judges import Change

__all__ = ["Verdict", "decide", "render"]


@dataclass(frozen=True)
class Verdict:
    """What the gate concludes: breaking or not, the version the change needs, and why it fails, if it does."""

    breaking: bool
    changed: bool
    needed: str
    failures: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


def decide(
    changes: Sequence[Change],
    base: Version,
    new: Version,
    differs: bool,
    unjudged: Sequence[str],
    notes: Sequence[str] = (),
) -> Verdict:
    """Breaking when any judge says so; a breaking change needs a new major version, any other change a new
    minor one (a document that differs in its words only, a new patch).

    Judges that disagree are on the table: every row names its judge and its reason, and one judge's
    "breaking" decides. What the table cannot explain is a judge that could not judge (Java missing, a
    generator failing): that fails the gate."""
    breaking = any(change.breaking for change in changes)
    failures = [f"{judge} could not judge: {why}" for judge, why in (line.split(": ", 1) for line in unjudged)]
    if breaking:
        needed = f"{base.major + 1}.0.0"
        if new.major <= base.major:
            failures.append(f"a breaking change needs a new major version: {new} -> at least {needed}")
    elif changes:
        needed = f"{base.major}.{base.minor + 1}.0"
        if (new.major, new.minor) <= (base.major, base.minor):
            failures.append(f"an addition needs a new minor version: {new} -> at least {needed}")
    elif differs:
        needed = f"{base.major}.{base.minor}.{base.patch + 1}"
        if new <= base:
            failures.append(f"the document changed: it needs a new version ({new} -> at least {needed})")
    else:
        needed = str(base)
    return Verdict(breaking, bool(changes) or differs, needed, tuple(failures), tuple(notes))


def render(changes: Sequence[Change], verdict: Verdict, base_name: str, base: Version, new: Version) -> str:
    """The table the gate prints: one row per change, then the verdict."""
    rows = [("CHANGE", "WHAT", "BREAKING", "JUDGE")] + [
        (change.where, change.what, "yes" if change.breaking else "no", change.judge) for change in changes
    ]
    widths = [min(70, max(len(row[i]) for row in rows)) for i in range(3)]
    lines = [f"openapi.yaml {new} against {base_name} ({base})", ""]
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip())
    if len(rows) == 1:
        lines.append("(no change a client can see)")
    lines.append("")
    kind = "breaking" if verdict.breaking else ("compatible" if verdict.changed else "unchanged")
    lines.append(f"verdict: {kind}; the version it needs: {verdict.needed}; it has {new}")
    lines.extend(f"note: {note}" for note in verdict.notes)
    lines.extend(f"FAIL: {failure}" for failure in verdict.failures)
    return "\n".join(lines)
