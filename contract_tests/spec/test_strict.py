"""The strict response validator that watches every in-process answer really catches drift."""

from __future__ import annotations

import json

import httpx

from contract_tests.bodies import text_body
from contract_tests.strict import StrictResponseValidator
from kling_lipsync.testing import KlingMock

CREATED = {
    "code": 0,
    "message": "SUCCEED",
    "request_id": "r",
    "data": {"task_id": "1", "task_status": "submitted", "created_at": 1, "updated_at": 1},
}


def check(body: dict, status: int = 200, url: str = "http://mock/kling/v1/videos/lip-sync") -> list[str]:
    return StrictResponseValidator().errors("POST", url, status, "application/json", json.dumps(body).encode())


def test_a_conforming_answer_passes() -> None:
    assert check(CREATED) == []


def test_an_undocumented_property_is_caught() -> None:
    assert "extra" in check({**CREATED, "extra": 1})[0]


def test_a_missing_property_is_caught() -> None:
    assert "request_id" in check({k: v for k, v in CREATED.items() if k != "request_id"})[0]


def test_an_undocumented_status_is_caught() -> None:
    assert "418" in check(CREATED, status=418)[0]


def test_every_in_process_exchange_is_checked(every_response_matches_the_spec, dmx: httpx.Client) -> None:
    before = every_response_matches_the_spec.checked
    dmx.post("/v1/videos/lip-sync", json=text_body())
    dmx.get("/v1/videos/lip-sync")
    assert every_response_matches_the_spec.checked == before + 2


def test_an_observer_sees_a_broken_answer(every_response_matches_the_spec) -> None:
    with KlingMock() as mock:
        response = httpx.Response(200, json={**CREATED, "surprise": True})
        request = httpx.Request("POST", f"{mock.base_url}/v1/videos/lip-sync")
        validator = StrictResponseValidator()
        validator.observe(request, response)
    assert len(validator.violations) == 1
