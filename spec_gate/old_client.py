"""The old client against the new mock: the judge that runs what a user of the old release runs.

The Python client is generated from the old spec (openapi-python-client, as ``make generate`` does, under the
package name ``kling_lipsync_client_old``) into a throwaway folder, and imported in a child process of its own
(its import path holds nothing of this checkout's client). There it sends every named request example of the
old spec, then lists, queries (before and after the tasks end) and finds again what it made, to two mocks of
this checkout: one built from the old spec, one from the new. Every answer of the new mock must parse into the
old client's models (a status the old spec does not document raises), and a request the old mock accepted must
be accepted by the new one.

    python -m spec_gate.old_client FOLDER OLD_SPEC NEW_SPEC OUT   # the child (FOLDER: the old client): OUT, JSON
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from .judges import ROOT, Change

__all__ = ["old_client"]

PACKAGE = "kling_lipsync_client_old"
_CONFIG = {
    "project_name_override": "kling-lipsync-client-old",
    "package_name_override": PACKAGE,
    "literal_enums": False,
    "post_hooks": [],  # no formatting: nobody reads this client
}
#: The accounts the two mocks are called with: a DMXAPI key (the mock takes any ``sk-`` key).
_TOKEN = "sk-spec-gate"


def old_client(old_text: str, new_text: str) -> tuple[list[Change], list[str]]:
    """Generate the old client, run it against mocks of both specs in a child process: what broke, and notes
    on what it could not compare (``RuntimeError`` when it could not run at all)."""
    try:
        return _old_client(old_text, new_text)
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError, KeyError) as exc:
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from None


def _old_client(old_text: str, new_text: str) -> tuple[list[Change], list[str]]:
    with tempfile.TemporaryDirectory(prefix="spec-gate-client-") as folder:
        work = Path(folder)
        (work / "old.yaml").write_text(old_text, encoding="utf-8")
        (work / "new.yaml").write_text(new_text, encoding="utf-8")
        (work / "config.yaml").write_text(yaml.safe_dump(_CONFIG), encoding="utf-8")
        bin_dir = Path(sys.executable).parent
        generated = subprocess.run(
            [
                str(bin_dir / "openapi-python-client"),
                "generate",
                "--path",
                "old.yaml",
                "--config",
                "config.yaml",
                "--meta",
                "none",
                "--output-path",
                str(work / PACKAGE),
                "--overwrite",
            ],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if generated.returncode != 0:
            said = (generated.stdout + generated.stderr).strip()[-300:]
            raise RuntimeError(f"openapi-python-client could not generate the old client: {said}")
        # The child's import path: the old client first, this checkout's packages (the mock) after it.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(work), str(ROOT)])}
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "spec_gate.old_client",
                folder,
                str(work / "old.yaml"),
                str(work / "new.yaml"),
                str(work / "findings.json"),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=work,
            timeout=600,
        )
        if child.returncode != 0:
            raise RuntimeError(child.stderr.strip().splitlines()[-1][:400] if child.stderr.strip() else "no output")
        # A file, not standard output: whatever the child's libraries print cannot spoil it.
        result = json.loads((work / "findings.json").read_text(encoding="utf-8"))
    changes = [Change(row["where"], row["what"], True, "old client") for row in result["findings"]]
    return changes, list(result["notes"])


# -- the child ----------------------------------------------------------------------------------------------------


def _modules(package: str) -> dict[str, ModuleType]:
    """The old client's operation modules by operation id (``api/<tag>/<operation_id>.py``)."""
    api = importlib.import_module(f"{package}.api")
    found = {}
    for info in pkgutil.walk_packages(api.__path__, f"{package}.api."):
        if not info.ispkg:
            found[info.name.rsplit(".", 1)[-1]] = importlib.import_module(info.name)
    return found


def _calls(old: Mapping[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    """``(operation id, method, path, body)`` of every named request example of the old spec, then every
    operation without a body once (its path parameters filled in later)."""
    from kling_spec import iter_operations, resolve

    for path, method, operation in iter_operations(old):
        body = operation.get("requestBody")
        content = resolve(body, old).get("content", {}).get("application/json", {}) if body else {}
        named = content.get("examples") or {}
        if named:
            for example in named.values():
                yield operation["operationId"], method, path, resolve(example, old).get("value")
        elif not body:
            yield operation["operationId"], method, path, None


def _run(client_folder: Path, old_path: Path, new_path: Path) -> dict[str, list[Any]]:
    import httpx

    from mock_server import create_app

    sys.path.insert(0, str(client_folder))
    client_module = importlib.import_module(PACKAGE)
    modules = _modules(PACKAGE)
    old = yaml.safe_load(old_path.read_text(encoding="utf-8"))
    new = yaml.safe_load(new_path.read_text(encoding="utf-8"))
    settings = {"clock": "virtual", "db": ":memory:", "max_in_flight": 1000, "log_requests": False}
    try:
        mocks = {"new": create_app(settings, spec=new)}
    except (KeyError, ValueError, RuntimeError) as exc:
        raise SystemExit(f"this checkout's mock cannot serve the new spec: {exc!r}") from None
    notes: list[str] = []
    try:
        mocks["old"] = create_app(settings, spec=old)
    except (KeyError, ValueError, RuntimeError) as exc:
        # This checkout's mock may need what only newer specs say (text-to-speech's rule of speech, say): then
        # whether an old request was accepted before cannot be asked, and the note says so.
        mocks["old"] = mocks["new"]
        notes.append(f"old client: this checkout's mock cannot serve the old spec ({exc!r}): answers are "
                     "parsed, but whether an old request was accepted before is not compared")  # fmt: skip
    http = {
        name: httpx.Client(
            transport=httpx.WSGITransport(app=app),
            base_url="http://mock.test/kling",
            headers={"Authorization": f"Bearer {_TOKEN}"},
        )
        for name, app in mocks.items()
    }
    client = client_module.AuthenticatedClient(base_url="http://mock.test/kling", token=_TOKEN,
                                               raise_on_unexpected_status=True)  # fmt: skip
    findings: list[dict[str, str]] = []
    made: dict[str, list[str]] = {"old": [], "new": []}

    def call(operation_id: str, method: str, path: str, body: Any, ids: Mapping[str, str]) -> None:
        statuses = {}
        for name in ("old", "new"):
            filled = path.replace("{task_id}", ids.get(name, "860000000000000001"))
            response = http[name].request(method.upper(), filled, json=body)
            statuses[name] = response.status_code
            json_answer = response.headers.get("content-type", "").startswith("application/json")
            data = response.json().get("data") if json_answer else None
            if isinstance(data, dict) and isinstance(data.get("task_id"), str) and method == "post":
                made[name].append(data["task_id"])
            if name != "new":
                continue
            module = modules.get(operation_id)
            if module is None:
                continue
            try:
                module._parse_response(client=client, response=response)
            except Exception as exc:  # any way the old models fail on the new answer
                findings.append({"where": f"{method.upper()} {path} {response.status_code}",
                                 "what": f"the old client cannot read the answer: {type(exc).__name__}: "
                                         f"{str(exc)[:160]}"})  # fmt: skip
        if 200 <= statuses["old"] < 300 and not 200 <= statuses["new"] < 300:
            refused = f"an old request the old mock accepted is refused ({statuses['new']})"
            findings.append({"where": f"{method.upper()} {path}", "what": refused})

    calls = list(_calls(old))
    for operation_id, method, path, body in calls:
        if "{" not in path:
            call(operation_id, method, path, body, {})
    for name in mocks:  # every task ends: the queries below see finished tasks, results and all
        http[name].post("http://mock.test/__mock__/clock/advance", json={"seconds": 3600})
    for operation_id, method, path, body in calls:
        if "{" in path:
            for old_id, new_id in zip(made["old"], made["new"], strict=False):
                call(operation_id, method, path, body, {"old": old_id, "new": new_id})
    unique = {(f["where"], f["what"]): f for f in findings}
    return {"findings": list(unique.values()), "notes": notes}


if __name__ == "__main__":
    folder, old_spec, new_spec, out = (Path(arg) for arg in sys.argv[1:5])
    out.write_text(json.dumps(_run(folder, old_spec, new_spec)), encoding="utf-8")
