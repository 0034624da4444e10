"""Schemathesis over openapi.yaml against the mock in-process: both gateways, positive and negative data,
examples, coverage and fuzzing phases, stateful runs through the spec's links, the Kling checks on top.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from contract_tests import checks  # noqa: F401 - registers the Kling checks
from contract_tests.strategies import register_schemathesis_formats
from kling_lipsync.testing import KlingMock
from kling_spec.families import families

register_schemathesis_formats()

#: Operations whose rules go beyond their schema (``x-kling-rules-beyond-schema``: advanced lip-sync's
#: session, face and timing rules): there a body the schema accepts may rightly be refused with 400 / 1201,
#: so "valid data is accepted" cannot be asked of them. Every other check still runs.
BEYOND_SCHEMA = frozenset(
    (operation.method.upper(), operation.path)
    for family in families().values()
    for operation in family.operations.values()
    if operation.rules_beyond_schema
)


def excluded_checks(case: schemathesis.Case) -> list[Any]:
    return [positive_data_acceptance] if (case.method.upper(), case.operation.path) in BEYOND_SCHEMA else []


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
    case.call_and_validate(excluded_checks=excluded_checks(case))


@OFFICIAL.parametrize()
@settings(max_examples=EXAMPLES)
def test_kling_gateway_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(excluded_checks=excluded_checks(case))


# Generating a create body means satisfying if/then and oneOf together; hypothesis-jsonschema gets
# there by filtering, which the stateful runner's health check would otherwise refuse.
STATEFUL = settings(
    max_examples=max(5, EXAMPLES // 4),
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


def _state_machine(schema: schemathesis.BaseSchema) -> Any:
    base: Any = schema.as_state_machine()

    class KlingStateMachine(base):  # type: ignore[misc, valid-type]
        def validate_response(
            self, response: Any, case: schemathesis.Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=excluded_checks(case),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    return KlingStateMachine


TestDmxapiStateful = _state_machine(DMXAPI).TestCase
TestDmxapiStateful.settings = STATEFUL
TestOfficialStateful = _state_machine(OFFICIAL).TestCase
TestOfficialStateful.settings = STATEFUL
