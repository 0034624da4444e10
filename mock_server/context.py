"""What the mock knows about the request it is answering, kept in one object on ``flask.g``.

The pipeline makes it when a request begins (``pipeline.begin``) and fills it in as the request goes; views
read it once (``call = current_call()``) instead of going through Flask's context proxies for every
attribute: on the hot path each proxy access costs about a microsecond.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g

from .runtime import MockRuntime
from .scenarios import SCENARIOS, Scenario
from .settings import Settings
from .wire import WireEffect

__all__ = ["Call", "current_call"]


@dataclass(slots=True)
class Call:
    """One request: its id, clock reading and settings, and what the pipeline and views learned about it."""

    request_id: str
    started: float
    now_ms: int
    settings: Settings
    #: The app's runtime, looked up once per request (``mock_runtime()`` goes through Flask's proxies).
    runtime: MockRuntime
    kling_code: int | None = None
    task_id: str | None = None
    account: str | None = None
    gateway: str | None = None
    family: str | None = None
    scenario: Scenario | None = None
    url_scenario: str | None = None
    body: dict[str, Any] | None = None
    #: The base URL of the mock's own media in answers (``public_url``, else the request's host).
    base_url: str = ""
    #: Whether the server lets the mock break this request's connection (``wire.lends_connection``).
    lends_connection: bool = False
    deliver_after_response: bool = False
    #: Made by ``pipeline.begin`` (not on the spot for a request that failed before): journaled.
    begun: bool = False
    #: An admin request (``/__mock__/``): not journaled.
    admin: bool = False
    #: The scenarios this request may ask for (built in, from the file, defined at run time).
    scenarios: Mapping[str, Scenario] = field(default_factory=lambda: SCENARIOS)
    #: How the answer travels, when a scenario, a planned poll or chaos says so (``wire.py``).
    wire: WireEffect | None = None


def current_call() -> Call:
    """This request's ``Call`` (one made on the spot if the request failed before it began)."""
    call: Call | None = g.get("call")
    if call is None:
        call = g.call = Call(
            str(uuid.uuid4()),
            time.perf_counter(),
            0,
            current_app.config["MOCK_SETTINGS"],
            current_app.extensions["kling_mock"],
        )
    return call
