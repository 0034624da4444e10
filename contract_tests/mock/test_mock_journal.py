"""The queryable journal: ``GET /__mock__/requests`` filtered and ordered by the mock, its count, and the
``KlingMock.requests`` / ``assert_request_made`` matcher that sends its filters there.

The journal is built once per test from requests that differ in every filtered field (two accounts, two
gateways, two families, scenarios, successes and refusals), so a filter that ignored its value, matched
another column or matched loosely returns a different set from Python's own equality over the whole journal.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contract_tests.bodies import text_body
from kling_lipsync import testing
from kling_lipsync.testing import KlingMock
from kling_spec.families import family
from mock_server.admin import JOURNAL_FILTERS
from mock_server.admin_rules import QueryRules, schema_validator

LIP_SYNC = family("lip-sync")
ADVANCED = family("advanced-lip-sync")
KNOWN = QueryRules("list_requests").names


def get(mock: KlingMock, path: str, **params: Any) -> httpx.Response:
    return mock.http.get(f"/__mock__{path}", params=params)


@pytest.fixture
def journal(kling_mock: KlingMock) -> list[dict[str, Any]]:
    """Eleven requests that differ in every filtered field; the whole journal, as the mock keeps it."""
    with (
        kling_mock.api("lip-sync", token="sk-alice") as alice,
        kling_mock.api("lip-sync", token="sk-bob") as bob,
        kling_mock.api("advanced-lip-sync", token="sk-alice") as alice_advanced,
        kling_mock.api("lip-sync", gateway="kling", token=kling_mock.settings.api_key) as official,
    ):
        task_id = alice.create(text_body())["task_id"]
        slow_id = bob.create(text_body(), headers={"X-Mock-Scenario": "slow"})["task_id"]
        alice.status(task_id)
        alice.status(task_id)
        bob.status(slow_id)
        assert alice.request("GET", LIP_SYNC.task_path.replace("{task_id}", slow_id)).status_code == 404
        assert bob.request("POST", LIP_SYNC.collection_path, json={"input": {}}).status_code == 400
        assert (
            alice.request("GET", LIP_SYNC.collection_path, headers={"X-Mock-Scenario": "rate-limit"}).status_code == 429
        )
        alice_advanced.tasks()
        official.tasks()
        official.create(text_body())
    entries = kling_mock.requests()
    assert len(entries) == 11
    return entries


def values_of(entries: list[dict[str, Any]], name: str) -> set[Any]:
    return {entry[name] for entry in entries if entry[name] is not None}


def test_the_filters_are_the_journal_columns_admin_yaml_documents() -> None:
    assert set(JOURNAL_FILTERS) == {
        "method", "path", "status", "code", "task_id", "account", "gateway", "family", "scenario", "server",
    }  # fmt: skip
    assert set(KNOWN) == {*JOURNAL_FILTERS, "since", "limit", "order"}


# One mock in process answers as one server; serving/test_team.py filters the journal of two by server.
@pytest.mark.parametrize("name", [name for name in JOURNAL_FILTERS if name != "server"])
def test_each_filter_matches_its_column_exactly(
    kling_mock: KlingMock, journal: list[dict[str, Any]], name: str
) -> None:
    values = values_of(journal, name)
    assert len(values) >= 2, f"the journal must tell {name} values apart"
    for value in values:
        expected = [entry for entry in journal if entry[name] == value]
        assert kling_mock.requests(**{name: value}) == expected
        assert kling_mock.count_requests(**{name: value}) == len(expected)
        assert 0 < len(expected) < len(journal)


def test_filters_combine_with_and(kling_mock: KlingMock, journal: list[dict[str, Any]]) -> None:
    (create,) = [e for e in journal if e["method"] == "POST" and e["scenario"] == "slow"]
    found = kling_mock.requests(method="GET", account=create["account"], status=200)
    assert found == [e for e in journal if (e["method"], e["account"], e["status"]) == ("GET", create["account"], 200)]
    assert [e["task_id"] for e in found] == [create["task_id"]]
    assert kling_mock.requests(method="GET", code=1203, account=create["account"]) == [], "1203 was Alice's"


def test_a_value_nothing_has_matches_nothing(kling_mock: KlingMock, journal: list[dict[str, Any]]) -> None:
    assert kling_mock.requests(status=201) == []
    assert kling_mock.requests(path=journal[0]["path"] + "/") == [], "a path matches whole, not as a prefix"
    assert kling_mock.requests(method="post") == [], "methods match as sent, upper case"
    assert kling_mock.count_requests(task_id="860000000000000000") == 0


def test_entries_are_what_admin_yaml_says(journal: list[dict[str, Any]]) -> None:
    validator = schema_validator("JournalEntry")
    assert [entry for entry in journal if not validator.is_valid(entry)] == []
    assert [e["id"] for e in journal] == sorted(e["id"] for e in journal)


def test_newest_first_pages_back_from_the_end(kling_mock: KlingMock, journal: list[dict[str, Any]]) -> None:
    ids = [e["id"] for e in journal]
    newest = get(kling_mock, "/requests", order="newest", limit=3).json()["requests"]
    assert [e["id"] for e in newest] == ids[::-1][:3]
    filtered = get(kling_mock, "/requests", order="newest", method="GET").json()["requests"]
    assert [e["id"] for e in filtered] == [e["id"] for e in reversed(journal) if e["method"] == "GET"]
    after = get(kling_mock, "/requests", order="newest", since=ids[7]).json()["requests"]
    assert [e["id"] for e in after] == ids[:7:-1], "since bounds newest-first pages too"


def test_since_tails_the_journal_oldest_first(kling_mock: KlingMock, journal: list[dict[str, Any]]) -> None:
    seen: list[int] = []
    since = 0
    while page := get(kling_mock, "/requests", since=since, limit=4, method="GET").json()["requests"]:
        seen += [e["id"] for e in page]
        since = page[-1]["id"]
    assert seen == [e["id"] for e in journal if e["method"] == "GET"]
    with kling_mock.api(token="sk-carol") as carol:
        carol.tasks()
    (new,) = get(kling_mock, "/requests", since=journal[-1]["id"]).json()["requests"]
    assert (new["method"], new["path"]) == ("GET", "/kling" + LIP_SYNC.collection_path), "what came since"


@pytest.mark.parametrize("path", ["/requests", "/requests/count"])
def test_an_unknown_parameter_is_refused_by_name_with_the_known_ones(kling_mock: KlingMock, path: str) -> None:
    answer = get(kling_mock, path, stauts=404)
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == 1201
    assert body["request_id"]
    assert "'stauts'" in body["message"]
    known = QueryRules("list_requests" if path == "/requests" else "count_requests").names
    assert body["message"].endswith("known: " + ", ".join(known))


def test_count_takes_the_filters_only(kling_mock: KlingMock) -> None:
    for paging in ("limit", "since", "order"):
        answer = get(kling_mock, "/requests/count", **{paging: "1"})
        assert (answer.status_code, answer.json()["code"]) == (400, 1201), paging
        assert f"'{paging}'" in answer.json()["message"]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        pytest.param({"status": "abc"}, "status value 'abc' is not an integer", id="status-not-a-number"),
        pytest.param({"status": "4O4"}, "not an integer", id="status-letter-o"),
        pytest.param({"code": " 0"}, "not an integer", id="code-with-a-space"),
        pytest.param({"code": "1_203"}, "not an integer", id="code-with-an-underscore"),
        pytest.param({"status": "99"}, "status: 99 is less than the minimum of 100", id="status-below-100"),
        pytest.param({"status": "600"}, "maximum of 599", id="status-above-599"),
        pytest.param({"code": "9" * 30}, "maximum of 99999", id="code-huge"),
        pytest.param({"code": "9" * 5000}, "not an integer", id="code-beyond-int-digits"),
        pytest.param({"since": "-1"}, "minimum of 0", id="since-negative"),
        pytest.param({"limit": "0"}, "minimum of 1", id="limit-zero"),
        pytest.param({"limit": "10001"}, "maximum of 10000", id="limit-over"),
        pytest.param({"order": "sideways"}, 'order: "sideways" is not one of', id="order-unknown"),
        pytest.param({"gateway": "openai"}, "gateway:", id="gateway-unknown"),
        pytest.param({"method": ""}, "method:", id="method-empty"),
        pytest.param([("status", "200"), ("status", "404")], "status is given 2 times", id="status-twice"),
    ],
)
def test_bad_values_are_refused_with_1201(kling_mock: KlingMock, params: Any, words: str) -> None:
    answer = kling_mock.http.get("/__mock__/requests", params=params)
    assert answer.status_code == 400
    assert answer.json()["code"] == 1201
    assert words in answer.json()["message"]


def test_the_limits_hold_at_their_boundaries(kling_mock: KlingMock, journal: list[dict[str, Any]]) -> None:
    assert len(get(kling_mock, "/requests", limit=1).json()["requests"]) == 1
    assert len(get(kling_mock, "/requests", limit=10_000).json()["requests"]) == len(journal)
    assert get(kling_mock, "/requests", since=2**63 - 1).json()["requests"] == []
    assert get(kling_mock, "/requests", status=100).json()["requests"] == []
    assert get(kling_mock, "/requests", status=599, code=99_999).json()["requests"] == []


def test_a_field_that_is_not_a_filter_is_a_clear_error(kling_mock: KlingMock) -> None:
    with pytest.raises(TypeError, match=r"cannot be filtered by body, duration_ms; filter by method, path, status"):
        kling_mock.requests(body={}, duration_ms=1.0)
    with pytest.raises(TypeError, match="limit"):
        kling_mock.assert_request_made(limit=1)
    with pytest.raises(TypeError, match="code=None"):
        kling_mock.requests(code=None)
    with pytest.raises(TypeError, match="status=True"):
        kling_mock.count_requests(status=True)


def test_assert_request_made_uses_the_mock_matcher(kling_mock: KlingMock, journal: list[dict[str, Any]]) -> None:
    (refused,) = kling_mock.assert_request_made(count=1, code=1302, status=429)
    assert refused["scenario"] == "rate-limit"
    assert len(kling_mock.assert_request_made(method="POST", gateway="dmxapi")) == 3
    with pytest.raises(AssertionError) as failed:
        kling_mock.assert_request_made(method="DELETE")
    last = journal[-1]
    assert f"('{last['method']}', '{last['path']}', {last['status']}, {last['code']})]" in str(failed.value)
    assert "found 0" in str(failed.value)
    with pytest.raises(AssertionError, match="expected 2 request"):
        kling_mock.assert_request_made(count=2, code=1201)


def test_requests_reads_every_page(kling_mock: KlingMock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(testing, "JOURNAL_PAGE", 2)
    with kling_mock.api() as api:
        for _ in range(5):
            api.tasks()
    assert len(kling_mock.requests(method="GET")) == 5
    assert len(kling_mock.requests(method="GET", status=200)) == 5


@pytest.mark.kling_mock(journal_size=3)
def test_only_the_entries_kept_are_found(kling_mock: KlingMock) -> None:
    with kling_mock.api() as api:
        for _ in range(4):
            api.tasks()
        # The oldest is pruned when a batch is written; each read writes the batch first.
        assert kling_mock.count_requests() == 3
        assert kling_mock.count_requests(method="GET") == len(kling_mock.requests(method="GET"))


def test_requests_to_admin_paths_are_never_journaled(kling_mock: KlingMock) -> None:
    """Not even those routing refused (an OPTIONS, a path that does not exist): the journal is the API's."""
    kling_mock.http.options("/__mock__/requests")
    kling_mock.http.get("/__mock__/no-such-route")
    with kling_mock.httpx_client() as client:
        client.options("/v1/videos/lip-sync")
    assert [(entry["method"], entry["path"]) for entry in kling_mock.requests()] == [
        ("OPTIONS", "/kling/v1/videos/lip-sync")
    ]
