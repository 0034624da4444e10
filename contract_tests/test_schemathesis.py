"""Schemathesis over openapi.yaml against the mock in-process: both gateways, positive and negative data,
examples, coverage and fuzzing phases, stateful runs through the spec's links, the Kling checks on top.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from contract_tests import checks  # noqa: F401 - registers the Kling checks
from contract_tests.strategies import register_schemathesis_formats
from kling_lipsync.testing import KlingMock

register_schemathesis_formats()


def _schema(prefix: str, token: str | None) -> tuple[KlingMock, schemathesis.BaseSchema]:
    """A mock in-process (schemathesis calls its WSGI app directly) and the spec it serves."""
    mock = KlingMock({"max_in_flight": 10**6})
    schema = schemathesis.openapi.from_wsgi("/__mock__/openapi.yaml", mock.app)
    schema.config.update(
        base_url=f"http://localhost{prefix}", headers={"Authorization": f"Bearer {token or mock.settings.api_key}"}
    )
    return mock, schema


DMXAPI_MOCK, DMXAPI = _schema("/kling", "sk-schemathesis")
OFFICIAL_MOCK, OFFICIAL = _schema("", None)
EXAMPLES = settings.default.max_examples


@DMXAPI.parametrize()
@settings(max_examples=EXAMPLES)
def test_dmxapi_gateway_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate()


@OFFICIAL.parametrize()
@settings(max_examples=EXAMPLES)
def test_kling_gateway_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate()


# Generating a create body means satisfying if/then and oneOf together; hypothesis-jsonschema gets
# there by filtering, which the stateful runner's health check would otherwise refuse.
STATEFUL = settings(
    max_examples=max(5, EXAMPLES // 4),
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
TestDmxapiStateful = DMXAPI.as_state_machine().TestCase
TestDmxapiStateful.settings = STATEFUL
TestOfficialStateful = OFFICIAL.as_state_machine().TestCase
TestOfficialStateful.settings = STATEFUL
