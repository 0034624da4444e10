"""Accounts see only their own tasks, run at most N at once, and list them newest first."""

from __future__ import annotations

import httpx

from contract_tests.bodies import text_body
from contract_tests.helpers import data
from kling_lipsync.testing import KlingMock

TASKS = "/v1/videos/lip-sync"


def test_two_accounts_cannot_see_each_others_tasks(mock: KlingMock) -> None:
    with mock.httpx_client("sk-alice") as alice, mock.httpx_client("sk-bob") as bob:
        alice_task = data(alice.post(TASKS, json=text_body()))["task_id"]
        bob_task = data(bob.post(TASKS, json=text_body()))["task_id"]
        assert bob.get(f"{TASKS}/{alice_task}").json()["code"] == 1203
        assert alice.get(f"{TASKS}/{bob_task}").json()["code"] == 1203
        assert [t["task_id"] for t in data(alice.get(TASKS))] == [alice_task]
        assert [t["task_id"] for t in data(bob.get(TASKS))] == [bob_task]
    with mock.httpx_client(mock.settings.api_key, gateway="kling") as official:
        assert data(official.get(TASKS)) == [], "gateways are separate account spaces"


def test_concurrency_limit_is_per_account_and_frees_up(mock: KlingMock) -> None:
    limit = mock.settings.max_in_flight
    with mock.httpx_client("sk-busy") as busy, mock.httpx_client("sk-idle") as idle:
        for _ in range(limit):
            assert busy.post(TASKS, json=text_body()).status_code == 200
        refused = busy.post(TASKS, json=text_body())
        assert refused.status_code == 429
        assert refused.json()["code"] == 1303
        assert refused.json()["message"] == "parallel task over resource pack limit"
        assert idle.post(TASKS, json=text_body()).status_code == 200, "another account has its own slots"
        assert len(data(busy.get(TASKS))) == limit, "the refused create made no task"
        mock.advance(mock.settings.queue_seconds + mock.settings.processing_seconds)
        assert busy.post(TASKS, json=text_body()).status_code == 200


def test_failed_tasks_free_their_slot_too(mock: KlingMock) -> None:
    mock.configure(max_in_flight=1)
    with mock.httpx_client("sk-one") as client:
        assert client.post(TASKS, json=text_body(), headers={"X-Mock-Scenario": "no-human"}).status_code == 200
        assert client.post(TASKS, json=text_body()).json()["code"] == 1303
        mock.advance(60)
        assert client.post(TASKS, json=text_body()).status_code == 200


def test_list_is_newest_first_and_pages_neither_repeat_nor_skip(mock: KlingMock) -> None:
    mock.configure(max_in_flight=100)
    with mock.httpx_client("sk-pages") as client:
        created = [data(client.post(TASKS, json=text_body()))["task_id"] for _ in range(7)]
        pages = [
            [t["task_id"] for t in data(client.get(TASKS, params={"pageNum": n, "pageSize": 3}))] for n in (1, 2, 3, 4)
        ]
    assert pages == [created[:3:-1][:3], created[3:0:-1], created[:1], []]
    assert [task for page in pages for task in page] == created[::-1]
    assert len(set(created)) == 7


def test_list_defaults_to_thirty(mock: KlingMock, dmx: httpx.Client) -> None:
    mock.configure(max_in_flight=100)
    for _ in range(31):
        dmx.post(TASKS, json=text_body())
    assert len(data(dmx.get(TASKS))) == 30
    assert len(data(dmx.get(TASKS, params={"pageNum": 2}))) == 1
