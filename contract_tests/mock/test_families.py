"""Every family of the spec on every gateway, through the published fixtures and ``KlingApi``.

Parametrised from the family registry (``x-kling-family`` in openapi.yaml): a family added to the spec is
tested here without a line more, and one the mock does not serve fails at start-up.
"""

from __future__ import annotations

import pytest

from contract_tests.helpers import create_body
from kling_lipsync.testing import KlingMock
from kling_spec import load_spec
from kling_spec.families import ROLES, families, task_families

GATEWAYS = ("dmxapi", "kling")
FAMILIES = tuple(task_families())


def token_for(mock: KlingMock, gateway: str) -> str:
    return "sk-families" if gateway == "dmxapi" else mock.settings.api_key


def test_the_registry_is_read_from_the_spec() -> None:
    tagged = {
        (path, method)
        for path, item in load_spec()["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "x-kling-family" in operation
    }
    registered = {(op.path, op.method) for family in families().values() for op in family.operations.values()}
    assert registered == tagged
    for family in families().values():
        assert set(family.operations) <= set(ROLES)


@pytest.mark.parametrize("gateway", GATEWAYS, ids=lambda gateway: f"on the {gateway} gateway")
@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: f"a {family} task")
def test_a_task_is_created_found_and_listed(kling_mock: KlingMock, family: str, gateway: str) -> None:
    with kling_mock.api(family, gateway=gateway, token=token_for(kling_mock, gateway)) as api:
        created = api.create(create_body(api))
        assert created["task_status"] == "submitted"
        kling_mock.advance(60)
        assert api.status(created["task_id"])["task_status"] == "succeed"
        assert [task["task_id"] for task in api.tasks()] == [created["task_id"]]
    journal = kling_mock.requests(method="POST")
    assert {(entry["gateway"], entry["family"]) for entry in journal} == {(gateway, family)}
    assert len(journal) == (2 if families()[family].has("session") else 1)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: f"a {family} task")
def test_the_gateways_are_separate_accounts(kling_mock: KlingMock, family: str) -> None:
    with kling_mock.api(family, gateway="dmxapi", token="sk-one") as proxy:
        created = proxy.create(create_body(proxy))
    with kling_mock.api(family, gateway="kling", token=kling_mock.settings.api_key) as official:
        assert official.tasks() == []
        missing = official.request("GET", official.family.task_path.replace("{task_id}", created["task_id"]))
    assert missing.json()["code"] == 1203
