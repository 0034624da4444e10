"""The judges of a change to openapi.yaml: each reads the old and the new document and says what changed and
whether a client generated from the old one breaks.

* ``structure``: this project's own comparison of the two documents, operation by operation and schema by
  schema, from the side of a generated client (a request must stay acceptable, an answer parsable).
* ``specmatic``: Specmatic's backward-compatibility check (``java -jar specmatic.jar compare``), from its npm
  package, on copies of both documents with their YAML aliases written out (Specmatic reads ``*anchor`` as a
  string).
* ``examples``: every named request example of the old document still validates against the new one's schema;
  every recording (``recordings/``) still reads for replay and passes ``check-recording``'s schema checks
  against the new document.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kling_spec import compile_schema, iter_operations, resolve

__all__ = ["Change", "examples", "specmatic", "specmatic_jar", "structure"]

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Change:
    """One difference a judge found: where, what, whether it breaks an old client, and who said so."""

    where: str
    what: str
    breaking: bool
    judge: str


# -- structure ---------------------------------------------------------------------------------------------------

_BOUNDS_TIGHTER = {"minimum": 1, "exclusiveMinimum": 1, "minLength": 1, "minItems": 1,
                   "maximum": -1, "exclusiveMaximum": -1, "maxLength": -1, "maxItems": -1}  # fmt: skip


def structure(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """What changed for a client generated from ``old``: operations, statuses, parameters, bodies."""
    found: list[Change] = []

    def change(where: str, what: str, breaking: bool) -> None:
        found.append(Change(where, what, breaking, "structure"))

    before = {(path, method): op for path, method, op in iter_operations(old)}
    after = {(path, method): op for path, method, op in iter_operations(new)}
    for path, method in sorted(before.keys() - after.keys()):
        change(f"{method.upper()} {path}", "operation removed", True)
    for path, method in sorted(after.keys() - before.keys()):
        change(f"{method.upper()} {path}", "operation added", False)
    for key in sorted(before.keys() & after.keys()):
        where = f"{key[1].upper()} {key[0]}"
        _parameters(where, key[0], before[key], after[key], old, new, change)
        _security(where, before[key], after[key], old, new, change)
        _content_types(
            where, "request", before[key].get("requestBody"), after[key].get("requestBody"), old, new, change
        )
        old_body, new_body = (
            _json_schema(before[key].get("requestBody"), old),
            _json_schema(after[key].get("requestBody"), new),
        )
        if old_body is not None or new_body is not None:
            _schema(f"{where} request", old_body or {}, new_body or {}, old, new, "request", change)
        old_answers, new_answers = before[key].get("responses", {}), after[key].get("responses", {})
        for status in sorted(set(old_answers) - set(new_answers)):
            change(f"{where} {status}", "status removed", True)
        for status in sorted(set(new_answers) - set(old_answers)):
            change(f"{where} {status}", "status added (an old client treats it as unexpected)", False)
        for status in sorted(set(old_answers) & set(new_answers)):
            _content_types(f"{where} {status}", "response", old_answers[status], new_answers[status], old, new, change)
            old_schema = _json_schema(resolve(old_answers[status], old), old)
            new_schema = _json_schema(resolve(new_answers[status], new), new)
            if old_schema is not None and new_schema is not None:
                _schema(f"{where} {status}", old_schema, new_schema, old, new, "response", change)
    _component_enums(old, new, found, change)
    return found


_SUBSCHEMAS = ("properties", "items", "allOf", "anyOf", "oneOf", "if", "then", "else", "not", "additionalProperties")


def _reached(document: Mapping[str, Any], side: str) -> set[str]:
    """The component schemas a request (``side`` "request") or an answer reaches, through every keyword
    (conditions included: the voice table lives in ``if``/``then``)."""
    names: set[str] = set()
    stack: list[Any] = []
    for _path, _method, operation in iter_operations(document):
        if side == "request":
            stack.append(_json_schema(operation.get("requestBody"), document))
            stack.extend(resolve(p, document).get("schema") for p in operation.get("parameters", ()))
        else:
            stack.extend(_json_schema(resolve(a, document), document) for a in operation.get("responses", {}).values())
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, Mapping):
            continue
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            if name not in names:
                names.add(name)
                stack.append(document["components"]["schemas"].get(name))
        for key in _SUBSCHEMAS:
            value = node.get(key)
            stack.extend(value.values() if key == "properties" and isinstance(value, Mapping) else [value])
    return names


def _component_enums(old: Mapping[str, Any], new: Mapping[str, Any], found: list[Change], change: Any) -> None:
    """Enums of named schemas, wherever a request or an answer reaches them (the property walk above does not
    enter ``oneOf`` or ``if``/``then``): a value gone from a request's enum, or new in an answer's closed one."""
    said = {(c.what, c.breaking) for c in found}
    old_schemas, new_schemas = old["components"]["schemas"], new["components"]["schemas"]
    for side in ("request", "response"):
        for name in sorted(_reached(old, side) & new_schemas.keys()):
            before, after = (
                set(map(str, old_schemas[name].get("enum", ()))),
                set(map(str, new_schemas[name].get("enum", ()))),
            )
            if not before or not after:
                continue
            moved = sorted(before - after) if side == "request" else sorted(after - before)
            what = f"enum values {'removed' if side == 'request' else 'added'}: {moved}"
            if moved and (what, True) not in said and not (side == "response" and _open(name, old)):
                change(f"components.schemas.{name} ({side}s)", what, True)


def _open(name: str, document: Mapping[str, Any]) -> bool:
    """Whether every ``anyOf`` that holds schema ``name`` keeps unknown values as a plain string beside it."""
    target = f"#/components/schemas/{name}"
    holders = [
        schema
        for schema in document["components"]["schemas"].values()
        if isinstance(schema, Mapping)
        and any(isinstance(b, Mapping) and b.get("$ref") == target for b in schema.get("anyOf", ()))
    ]
    return bool(holders) and all(
        any(isinstance(b, Mapping) and b.get("type") == "string" and "enum" not in b for b in h["anyOf"])
        for h in holders
    )


def _content_types(where: str, side: str, o: Any, n: Any, old: Any, new: Any, change: Any) -> None:
    """A body's media types: one the old client sends (or reads) that is gone breaks it."""
    before = set(resolve(o, old).get("content", {})) if o else set()
    after = set(resolve(n, new).get("content", {})) if n else set()
    if gone := sorted(before - after):
        change(
            f"{where} {side}",
            f"content type {', '.join(gone)} no longer {'accepted' if side == 'request' else 'answered'}",
            True,
        )
    if side == "request" and n and resolve(n, new).get("required") and not (o and resolve(o, old).get("required")):
        change(f"{where} request", "a body is now required", True)


def _json_schema(holder: Mapping[str, Any] | None, document: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if not holder:
        return None
    content = resolve(holder, document).get("content", {}).get("application/json")
    return content.get("schema") if content else None


def _parameters(where: str, path: str, old_op: Any, new_op: Any, old: Any, new: Any, change: Any) -> None:
    def named(op: Any, document: Any) -> dict[tuple[str, str], Mapping[str, Any]]:
        # The path item's parameters hold for each of its operations, unless the operation names the same one.
        shared = document["paths"].get(path, {}).get("parameters", ())
        params = [resolve(p, document) for p in (*shared, *op.get("parameters", ()))]
        return {(p["in"], p["name"]): p for p in params}

    before, after = named(old_op, old), named(new_op, new)
    for key in sorted(after.keys() - before.keys()):
        required = bool(after[key].get("required"))
        change(f"{where} {key[0]} {key[1]}", f"{'required' if required else 'optional'} parameter added", required)
    for key in sorted(before.keys() & after.keys()):
        if after[key].get("required") and not before[key].get("required"):
            change(f"{where} {key[0]} {key[1]}", "parameter now required", True)
        _schema(f"{where} {key[0]} {key[1]}", before[key].get("schema", {}), after[key].get("schema", {}), old, new,
                "request", change)  # fmt: skip


def _security(where: str, old_op: Any, new_op: Any, old: Any, new: Any, change: Any) -> None:
    """The credentials an operation accepts: an old client sends one of the old alternatives, so each must
    still be accepted (a requirement is a set of schemes; no requirement at all accepts anything)."""

    def alternatives(op: Any, document: Any) -> set[frozenset[str]]:
        requirements = op.get("security", document.get("security", []))
        return {frozenset(requirement) for requirement in requirements}

    before, after = alternatives(old_op, old), alternatives(new_op, new)
    if after and frozenset() not in after:
        refused = sorted(" + ".join(sorted(a)) or "none" for a in (before or {frozenset()}) if a not in after)
        if refused:
            change(f"{where} security", f"credentials no longer accepted: {', '.join(refused)}", True)


def _flat(schema: Mapping[str, Any], document: Any) -> Mapping[str, Any]:
    """A schema with the members of its ``allOf`` merged in: their properties, required fields and bounds
    count as the schema's own (``oneOf``, ``if``/``then`` stay unread: rules a client meets at run time)."""
    members = [resolve(member, document) for member in schema.get("allOf", ())]
    if not members:
        return schema
    merged: dict[str, Any] = {key: value for key, value in schema.items() if key != "allOf"}
    for member in map(lambda m: _flat(m, document), members):
        merged["properties"] = {**member.get("properties", {}), **merged.get("properties", {})}
        merged["required"] = sorted({*merged.get("required", ()), *member.get("required", ())})
        for key, value in member.items():
            if key not in ("properties", "required", "description", "allOf"):
                merged.setdefault(key, value)
    return merged


def _types(schema: Mapping[str, Any]) -> frozenset[str]:
    kind = schema.get("type")
    if kind is None:
        return frozenset()
    return frozenset([kind] if isinstance(kind, str) else kind)


def _schema(
    where: str,
    o: Mapping[str, Any],
    n: Mapping[str, Any],
    old: Any,
    new: Any,
    side: str,
    change: Any,
    depth: int = 0,
    open_enum: bool = False,
) -> None:
    """Compare two schemas from ``side`` (``request``: the client sends it; ``response``: it parses it).
    ``open_enum``: an ``anyOf`` beside a plain string keeps unknown values (``TaskStatusValue``), so a new
    value in an answer breaks no client."""
    if depth > 12:  # recursive schemas: deep enough for any difference a client meets
        return
    o, n = _flat(resolve(o, old), old), _flat(resolve(n, new), new)
    if _types(o) and _types(n) and _types(o) != _types(n):
        change(where, f"type {'/'.join(sorted(_types(o)))} -> {'/'.join(sorted(_types(n)))}", True)
        return
    _enum(where, o, n, side, change, open_enum)
    old_any, new_any = o.get("anyOf", []), n.get("anyOf", [])
    if old_any and len(old_any) == len(new_any):
        branches = [resolve(branch, new) for branch in new_any]
        kept = any(b.get("type") == "string" and "enum" not in b and "const" not in b for b in branches)
        for old_branch, new_branch in zip(old_any, new_any, strict=True):
            _schema(where, old_branch, new_branch, old, new, side, change, depth + 1, kept)
    if side == "request":
        for bound, tighter in _BOUNDS_TIGHTER.items():
            if bound in n and (bound not in o or (n[bound] - o[bound]) * tighter > 0):
                change(where, f"{bound} {o.get(bound, 'none')} -> {n[bound]}: fewer values are accepted", True)
        if "pattern" in n and n.get("pattern") != o.get("pattern"):
            change(where, "pattern changed: some values sent before may be refused", True)
    old_props, new_props = o.get("properties", {}), n.get("properties", {})
    old_required, new_required = set(o.get("required", ())), set(n.get("required", ()))
    for name in sorted(new_props.keys() - old_props.keys()):
        if side == "request":
            required = name in new_required
            change(f"{where} .{name}", f"{'required' if required else 'optional'} field added", required)
        else:
            change(f"{where} .{name}", "field added (an old client keeps it as an additional property)", False)
    for name in sorted(old_props.keys() - new_props.keys()):
        if side == "response":
            required = name in old_required
            change(f"{where} .{name}", "field removed" + (" (it was required)" if required else ""), required)
        else:
            change(f"{where} .{name}", "field no longer documented (unknown fields are accepted)", False)
    for name in sorted(old_props.keys() & new_props.keys()):
        if side == "request" and name in new_required and name not in old_required:
            change(f"{where} .{name}", "field now required", True)
        if side == "response" and name in old_required and name not in new_required:
            change(f"{where} .{name}", "field no longer always present", True)
        _schema(f"{where} .{name}", old_props[name], new_props[name], old, new, side, change, depth + 1)
    if "items" in o and "items" in n:
        _schema(f"{where}[]", o["items"], n["items"], old, new, side, change, depth + 1)


def _enum(where: str, o: Mapping[str, Any], n: Mapping[str, Any], side: str, change: Any, open_enum: bool) -> None:
    if "enum" not in o and "enum" not in n:
        return
    before, after = set(map(str, o.get("enum", ()))), set(map(str, n.get("enum", ())))
    if "enum" not in n:
        change(where, "enum lifted: any value", side == "response")
        return
    if "enum" not in o:
        change(where, f"enum added: {sorted(after)}", side == "request")
        return
    if removed := sorted(before - after):
        change(where, f"enum values removed: {removed}", side == "request")
    if added := sorted(after - before):
        # A generated client's enum refuses a value it does not know: a new one in an answer breaks it, unless
        # the schema keeps unknown values as strings.
        closed = side == "response" and not open_enum
        change(where, f"enum values added: {added}" + ("" if closed or side == "request" else " (kept as strings)"),
               closed)  # fmt: skip


# -- specmatic -----------------------------------------------------------------------------------------------------


def specmatic_jar() -> Path | None:
    """Specmatic's jar from the project's npm packages (``npm ci``), if installed."""
    jar = ROOT / "node_modules" / "specmatic" / "specmatic.jar"
    return jar if jar.is_file() else None


class _Unaliased(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def specmatic(old: Mapping[str, Any], new: Mapping[str, Any], jar: Path) -> list[Change]:
    """Specmatic's verdict: each incompatibility it names (``RuntimeError`` when it cannot judge)."""
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java is not installed: Specmatic needs it (apt-get install default-jre-headless)")
    with tempfile.TemporaryDirectory(prefix="spec-gate-") as folder:
        for name, document in (("old.yaml", old), ("new.yaml", new)):
            text = yaml.dump(dict(document), Dumper=_Unaliased, sort_keys=False, allow_unicode=True)
            (Path(folder) / name).write_text(text, encoding="utf-8")
        try:
            done = subprocess.run([java, "-jar", str(jar), "compare", "old.yaml", "new.yaml"], cwd=folder,
                                  capture_output=True, text=True, timeout=600)  # fmt: skip
        except subprocess.TimeoutExpired:
            raise RuntimeError("Specmatic gave no verdict within 600 s") from None
    output = done.stdout + done.stderr
    if done.returncode == 0 and "is backward compatible" in output:
        return []
    if "not backward compatible" not in output:
        raise RuntimeError(f"Specmatic could not judge (exit {done.returncode}): {output.strip()[-300:]}")
    found = {(change.where, change.what): change for change in _incompatibilities(output)}
    return list(found.values()) or [Change("-", "not backward compatible (no detail read)", True, "specmatic")]


def _incompatibilities(report: str) -> Iterator[Change]:
    """Specmatic's report, one incompatibility at a time: ``API: GET /path -> 200``, then for each place
    ``  >> RESPONSE.BODY.x (file:line)``, its rule (``R2001: ...``) and, last, its explanation."""
    api = ""
    entry: list[str] = []

    def finished() -> Iterator[Change]:
        if not entry or not api:
            return
        at = re.sub(r" \([^)]*\)$", "", entry[0].strip().removeprefix(">> "))
        rule = next((line.strip() for line in entry if re.match(r"\s+R\d+: ", line)), "")
        why = next((line.strip() for line in reversed(entry[1:]) if line.strip() and not re.match(
            r"\s+(R\d+|Documentation|Summary): ", line)), "")  # fmt: skip
        if rule:  # an incompatibility has its rule; a ">>" line without one is a warning
            yield Change(f"{api} {at}", f"{rule}: {why}", True, "specmatic")

    answer = ""  # the API line's operation and status: what an operation-level finding names
    for line in report.splitlines():
        if line.startswith(("API: ", "In scenario ")) or line.lstrip().startswith(">> "):
            yield from finished()
            entry = []
        if line.startswith("API: "):
            answer = re.sub(r"\((\w+):\w+\)", r"{\1}", line.removeprefix("API: "))
            api = answer.split(" -> ")[0]
        elif line.startswith("      ") and not entry and answer and "contract" in line:
            # An operation or a status gone: no ">>" place, only a sentence ("This API exists in the old ...").
            yield Change(answer, re.sub(r" \([^)]*\)$", "", line.strip()), True, "specmatic")
            answer = ""
        elif line.lstrip().startswith(">> "):
            entry = [line]
        elif entry and (line.startswith(" ") or not line.strip()):
            entry.append(line)
        elif entry:  # an unindented line ends the report's entry
            yield from finished()
            entry = []
    yield from finished()


# -- examples and recordings -----------------------------------------------------------------------------------------


def examples(
    old: Mapping[str, Any], new: Mapping[str, Any], recordings: Path | None = None, new_path: Path | None = None
) -> list[Change]:
    """Old request examples against the new schemas; the recordings (the folders of ``recordings``) against the
    new document, read from ``new_path``."""
    found: list[Change] = []
    after = {(path, method): op for path, method, op in iter_operations(new)}
    for path, method, operation in iter_operations(old):
        body = operation.get("requestBody")
        content = resolve(body, old).get("content", {}).get("application/json", {}) if body else {}
        for name, example in (content.get("examples") or {}).items():
            value = resolve(example, old).get("value")
            where = f"{method.upper()} {path} request example {name}"
            target = after.get((path, method))
            schema = _json_schema(target.get("requestBody"), new) if target is not None else None
            if target is None:
                found.append(Change(where, "its operation is gone", True, "examples"))
                continue
            if schema is None:
                continue
            errors = sorted(
                compile_schema(schema, new).iter_errors(value), key=lambda e: list(map(str, e.instance_path))
            )
            if errors:
                first = errors[0]
                at = ".".join(map(str, first.instance_path)) or "body"
                found.append(Change(where, f"no longer valid: {at}: {first.message[:160]}", True, "examples"))
    if recordings is not None and new_path is not None:
        found.extend(_recordings(new, recordings, new_path))
    return found


def _recordings(new: Mapping[str, Any], folder: Path, new_path: Path) -> Iterator[Change]:
    # Here, not at the top: the mock is only needed when there are recordings to read.
    from mock_server.recording.cassette import CassetteError, load_folder
    from mock_server.recording.check import check_interactions
    from mock_server.recording.replay import Recording, ReplayError

    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        try:
            Recording(sub, new)
            interactions = [item for _path, _meta, items in load_folder(sub) for item in items]
        except (ReplayError, CassetteError) as exc:
            yield Change(f"recording {sub.name}", f"no longer replays: {exc}", True, "examples")
            continue
        _checked, differences = check_interactions(interactions, new_path)
        for difference in differences:
            if difference.where.startswith(("response", "request")):
                yield Change(f"recording {sub.name} {difference.operation} {difference.status}",
                             f"{difference.where}: {difference.what}", True, "examples")  # fmt: skip
