"""The spec evolution gate (``make spec-check``, ``spec_gate/``): a catalogue of changes to openapi.yaml, each
with the verdict a client generated from the old document needs, so that the gate can fail.

The structural judge and the examples judge run in ``make test``, and the whole gate on the current spec;
Specmatic (Java, 5-10 s a comparison) runs over the same catalogue among the heavy tests, and so does the old
generated client against the new mock where this checkout's mock can serve the changed spec.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from kling_spec import SPEC_PATH
from spec_gate.__main__ import verdict_of
from spec_gate.history import HISTORY, Version, released, version_of
from spec_gate.judges import ROOT, specmatic_jar

TEXT = SPEC_PATH.read_text(encoding="utf-8")
DOCUMENT: dict[str, Any] = yaml.safe_load(TEXT)
CURRENT = version_of(TEXT)
Edit = Callable[[dict[str, Any]], None]


def schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]  # type: ignore[no-any-return]


def remove_response_field(doc: dict[str, Any]) -> None:
    video = schemas(doc)["ResultVideo"]
    del video["properties"]["duration"]
    video["required"].remove("duration")


def add_required_request_field(doc: dict[str, Any]) -> None:
    request = schemas(doc)["IdentifyFaceRequest"]
    request["properties"]["language"] = {"type": "string"}
    request["required"] = [*request.get("required", []), "language"]


def add_optional_request_field(doc: dict[str, Any]) -> None:
    schemas(doc)["IdentifyFaceRequest"]["properties"]["language"] = {"type": "string"}


def narrow_request_enum(doc: dict[str, Any]) -> None:
    schemas(doc)["AudioType"]["enum"] = ["file"]


def close_face_ids(doc: dict[str, Any]) -> None:
    schemas(doc)["Face"]["properties"]["face_id"]["enum"] = ["0", "1"]


def add_closed_response_enum_value(doc: dict[str, Any]) -> None:
    close_face_ids(doc)
    schemas(doc)["Face"]["properties"]["face_id"]["enum"].append("2")


def add_open_response_enum_value(doc: dict[str, Any]) -> None:
    schemas(doc)["TaskStatus"]["enum"].append("cancelled")


def change_a_type(doc: dict[str, Any]) -> None:
    schemas(doc)["Timestamp"]["type"] = "string"
    del schemas(doc)["Timestamp"]["format"], schemas(doc)["Timestamp"]["minimum"]


def remove_an_operation(doc: dict[str, Any]) -> None:
    del doc["paths"]["/v1/audio/tts"]


def remove_a_status(doc: dict[str, Any]) -> None:
    del doc["paths"]["/v1/videos/lip-sync/{task_id}"]["get"]["responses"]["404"]


def add_an_operation(doc: dict[str, Any]) -> None:
    doc["paths"]["/v1/audio/voices"] = {
        "get": {
            "operationId": "list_voices",
            "summary": "The voices",
            "responses": {"200": {"description": "The voices.", "content": {"application/json": {"schema": {}}}}},
        }
    }


def reword_a_description(doc: dict[str, Any]) -> None:
    schemas(doc)["ResultVideo"]["description"] = "A lip-synced video (reworded)."


@dataclass(frozen=True)
class Mutation:
    name: str
    edit: Edit
    breaking: bool
    #: What the old document had first (to make a closed enum that the edit then widens).
    before: Edit | None = None


CATALOGUE = [
    Mutation("remove a response field", remove_response_field, breaking=True),
    Mutation("add a required request field", add_required_request_field, breaking=True),
    Mutation("narrow an enum in a request", narrow_request_enum, breaking=True),
    Mutation("add an enum value in a closed response enum", add_closed_response_enum_value, True, close_face_ids),
    Mutation("add an enum value in an open response enum (TaskStatusValue)", add_open_response_enum_value, False),
    Mutation("change a type", change_a_type, breaking=True),
    Mutation("remove an operation", remove_an_operation, breaking=True),
    Mutation("remove a status", remove_a_status, breaking=True),
    Mutation("add an optional request field", add_optional_request_field, breaking=False),
    Mutation("add an operation", add_an_operation, breaking=False),
]


BY_NAME = {mutation.name: mutation for mutation in CATALOGUE}


def add_required_field_inside_all_of(doc: dict[str, Any]) -> None:
    """A rule moved where the spec keeps its conditions: an ``allOf`` member (read as the schema's own)."""
    schemas(doc)["IdentifyFaceRequest"]["allOf"].append({"required": ["video_url"]})


def remove_a_voice(doc: dict[str, Any]) -> None:
    """The voice table is reached through ``if``/``then`` only: a voice gone is an old request refused."""
    schemas(doc)["VoiceIdZh"]["enum"].remove("genshin_vindi2")


def require_a_header_for_a_path(doc: dict[str, Any]) -> None:
    """A parameter of the path item, which every operation of the path takes."""
    doc["paths"]["/v1/videos/lip-sync"]["parameters"] = [
        {"name": "X-Region", "in": "header", "required": True, "schema": {"type": "string"}}
    ]


def change_the_credentials(doc: dict[str, Any]) -> None:
    doc["components"]["securitySchemes"]["apiKey"] = {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    doc["paths"]["/v1/audio/tts"]["post"]["security"] = [{"apiKey": []}]


def response_content_type_changed(doc: dict[str, Any]) -> None:
    answer = doc["paths"]["/v1/audio/tts"]["post"]["responses"]["200"]
    answer["content"] = {"text/plain": answer["content"]["application/json"]}


def texts(mutation: Mutation, version: str) -> tuple[str, str]:
    old = copy.deepcopy(DOCUMENT)
    if mutation.before is not None:
        mutation.before(old)
    new = copy.deepcopy(old)
    mutation.edit(new)
    new["info"]["version"] = version
    return yaml.safe_dump(old, sort_keys=False, allow_unicode=True), yaml.safe_dump(
        new, sort_keys=False, allow_unicode=True
    )


def needed(mutation: Mutation) -> str:
    return f"{CURRENT.major + 1}.0.0" if mutation.breaking else f"{CURRENT.major}.{CURRENT.minor + 1}.0"


@pytest.mark.parametrize("mutation", CATALOGUE, ids=lambda m: m.name)
def test_each_change_gets_its_verdict(mutation: Mutation) -> None:
    old, new = texts(mutation, str(CURRENT))
    changes, verdict = verdict_of(old, new, CURRENT, CURRENT, use_specmatic=False, use_old_client=False)
    assert verdict.breaking is mutation.breaking, [(c.where, c.what, c.breaking) for c in changes]
    assert verdict.needed == needed(mutation)
    assert verdict.exit_code == 1, "the same version for a change: the gate fails"
    assert any(failure.startswith(("a breaking change", "an addition")) for failure in verdict.failures)
    # With the version the change needs, it passes
    old, new = texts(mutation, needed(mutation))
    _changes, bumped = verdict_of(
        old, new, CURRENT, Version.parse(needed(mutation)), use_specmatic=False, use_old_client=False
    )
    assert bumped.exit_code == 0, bumped.failures


def test_a_change_of_words_only_needs_a_new_patch_version() -> None:
    mutation = Mutation("reword", reword_a_description, breaking=False)
    old, new = texts(mutation, str(CURRENT))
    changes, verdict = verdict_of(old, new, CURRENT, CURRENT, use_specmatic=False, use_old_client=False)
    assert (changes, verdict.breaking, verdict.needed) == (
        [],
        False,
        f"{CURRENT.major}.{CURRENT.minor}.{CURRENT.patch + 1}",
    )
    assert verdict.exit_code == 1


def test_an_old_request_example_the_new_schema_refuses_is_named() -> None:
    old, new = texts(Mutation("narrow", narrow_request_enum, True), str(CURRENT))
    changes, _verdict = verdict_of(old, new, CURRENT, CURRENT, use_specmatic=False, use_old_client=False)
    named = [c for c in changes if c.judge == "examples"]
    assert named, "the legacy audio2video examples send audio_type url"
    assert all("request example" in c.where and "no longer valid" in c.what for c in named)


def test_the_current_spec_is_released_and_passes_the_gate() -> None:
    assert CURRENT in released(), f"copy openapi.yaml to {HISTORY.name}/{CURRENT}.yaml"
    assert yaml.safe_load(released()[CURRENT].read_text(encoding="utf-8")) == DOCUMENT
    done = subprocess.run([sys.executable, "-m", "spec_gate", "--no-specmatic", "--no-old-client"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    assert f"openapi.yaml {CURRENT} against {HISTORY.name}/" in done.stdout


def test_a_change_committed_without_a_new_version_fails_with_a_table_naming_it(tmp_path: Any) -> None:
    changed = copy.deepcopy(DOCUMENT)
    remove_response_field(changed)
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(changed, sort_keys=False, allow_unicode=True), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "spec_gate", "--no-specmatic", "--no-old-client", "--new", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 1, done.stdout
    assert f"against {HISTORY.name}/{CURRENT}.yaml" in done.stdout, "a change after the release: compared with it"
    assert "ResultVideo" in done.stdout or ".duration" in done.stdout
    assert f"FAIL: a breaking change needs a new major version: {CURRENT} -> at least {CURRENT.major + 1}.0.0" in (
        done.stdout
    )


@pytest.mark.heavy
@pytest.mark.skipif(specmatic_jar() is None, reason="npm ci installs Specmatic (make spec-check does)")
@pytest.mark.parametrize("mutation", CATALOGUE, ids=lambda m: m.name)
def test_specmatic_joins_the_verdict(mutation: Mutation) -> None:
    old, new = texts(mutation, str(CURRENT))
    changes, verdict = verdict_of(old, new, CURRENT, CURRENT, use_old_client=False)
    assert verdict.breaking is mutation.breaking
    assert not any(f.startswith("specmatic could not judge") for f in verdict.failures), verdict.failures
    said = [c for c in changes if c.judge == "specmatic"]
    if mutation.breaking:
        assert said, "Specmatic sees it too, and its report is read row by row"
        assert all(c.what != "not backward compatible (no detail read)" for c in said), said
    else:
        assert said == [], "Specmatic agrees that an addition breaks nothing"


@pytest.mark.heavy
@pytest.mark.parametrize(
    ("mutation", "flagged"),
    [
        (BY_NAME["add a required request field"], "POST /v1/videos/identify-face"),  # old examples refused
        (BY_NAME["narrow an enum in a request"], "POST /v1/videos/lip-sync"),  # audio_type url refused
        (BY_NAME["add an optional request field"], None),  # nothing changes for the old client
    ],
    ids=lambda value: value.name if isinstance(value, Mutation) else str(value),
)
def test_the_old_client_runs_against_the_new_mock(mutation: Mutation, flagged: str | None) -> None:
    old, new = texts(mutation, str(CURRENT))
    changes, verdict = verdict_of(old, new, CURRENT, CURRENT, use_specmatic=False)
    assert verdict.notes == (), "the mock of the old spec was built: 'accepted before' was compared"
    said = [c for c in changes if c.judge == "old client"]
    assert not any("could not judge" in f for f in verdict.failures), verdict.failures
    if flagged is None:
        assert said == []
    else:
        assert any(c.where == flagged and "is refused" in c.what for c in said), said


@pytest.mark.heavy
def test_the_last_release_s_client_reads_every_answer_of_this_mock() -> None:
    last = [version for version in released() if version < CURRENT][-1]
    changes, verdict = verdict_of(
        released()[last].read_text(encoding="utf-8"), TEXT, last, CURRENT, use_specmatic=False
    )
    assert [c for c in changes if c.judge == "old client"] == []
    assert verdict.exit_code == 0, verdict.failures


@pytest.mark.parametrize(
    "mutation",
    [
        Mutation("a required field added inside allOf", add_required_field_inside_all_of, breaking=True),
        Mutation("a response's content type changed", response_content_type_changed, breaking=True),
        Mutation("a voice removed from the table (inside if/then)", remove_a_voice, breaking=True),
        Mutation("a required header on the path item", require_a_header_for_a_path, breaking=True),
        Mutation("other credentials", change_the_credentials, breaking=True),
    ],
    ids=lambda m: m.name,
)
def test_the_structural_judge_reads_conditions_content_types_path_parameters_and_credentials(
    mutation: Mutation,
) -> None:
    old, new = texts(mutation, str(CURRENT))
    changes, verdict = verdict_of(old, new, CURRENT, CURRENT, use_specmatic=False, use_old_client=False)
    assert verdict.breaking, changes
    assert any(c.judge == "structure" and c.breaking for c in changes)


def run_gate(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "spec_gate", "--no-specmatic", "--no-old-client", *arguments],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip


def test_a_version_below_the_newest_release_fails(tmp_path: Any) -> None:
    older = copy.deepcopy(DOCUMENT)
    assert CURRENT.minor > 0, "a release below the current one exists"
    older["info"]["version"] = f"{CURRENT.major}.{CURRENT.minor - 1}.9"
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(older, sort_keys=False, allow_unicode=True), encoding="utf-8")
    done = run_gate("--new", str(path))
    assert done.returncode == 1, done.stdout
    assert f"is below the newest release {CURRENT}" in done.stdout


def test_a_base_that_is_neither_a_file_nor_a_revision_is_exit_2() -> None:
    done = run_gate("--base", "no-such-revision-or-file")
    assert done.returncode == 2
    assert "neither a file nor a git revision" in done.stderr


def test_a_base_given_as_a_git_revision_is_read_from_git() -> None:
    done = run_gate("--base", "HEAD")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "against HEAD:openapi.yaml" in done.stdout


def test_every_release_is_named_by_its_version() -> None:
    for version, path in released().items():
        assert version_of(path.read_text(encoding="utf-8")) == version, path
