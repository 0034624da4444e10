"""Everything one mock app holds at run time, kept on ``app.extensions["kling_mock"]`` (no globals)."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from .callbacks import CallbackDispatcher
from .clock import Clock, SystemClock, VirtualClock
from .families import Families
from .families.advanced import session_seq_of
from .families.tts import AUDIO_IDS
from .recording.replay import Recording
from .requestlog import RequestLog
from .scenarios import SCENARIOS, Scenario, load_scenario_file, scenario_from_json
from .settings import Settings
from .store import RUN_BEAT_SECONDS, Store
from .tasks import seq_of

__all__ = ["MockRuntime", "RequestView", "mock_runtime"]

log = logging.getLogger("mock_server")

_STATE_TTL_SECONDS = 0.05


@dataclass(frozen=True)
class RequestView:
    """What one request sees: the time, the settings in force and the scenarios it may ask for."""

    now_ms: int
    settings: Settings
    scenarios: Mapping[str, Scenario]


class MockRuntime:
    """The store, clock, compiled rules, callback dispatcher and chaos source of one app."""

    def __init__(self, settings: Settings, spec: Mapping[str, Any] | None = None, *, prepared: bool = False) -> None:
        """``prepared``: a worker of a server whose launcher opened the store first (``Store``)."""
        self.base_settings = settings
        self.store = Store(settings.db, clock_start_ms=settings.virtual_clock_start_ms, prepared=prepared)
        #: Who answered, in the journal: servers sharing a database tell themselves apart by it.
        self.server_name = settings.server_name or socket.gethostname()
        self.clock: Clock = VirtualClock(self.store.clock_ms) if settings.clock == "virtual" else SystemClock()
        self.families = Families(spec)
        #: ``--replay DIR``: the recording this mock answers from first (``replay.py``).
        self.replay: Recording | None = Recording(Path(settings.replay)) if settings.replay else None
        if self.replay is not None:
            try:
                _skip_recorded_ids(self.store, self.replay)
            except self.store.errors:
                if not prepared:
                    raise
                # A worker started while the database is away: its siblings did this when the server started.
                log.warning(
                    "the database is unreachable: this worker starts all the same (its siblings skipped the ids)"
                )
        self.dispatcher = CallbackDispatcher(self.store, self.clock, self.settings, self.families)
        self.request_log = RequestLog()
        #: Built in, then ``--scenarios FILE``: neither can be replaced at run time.
        self.fixed_scenarios: Mapping[str, Scenario] = {
            **SCENARIOS,
            **(load_scenario_file(settings.scenarios_file) if settings.scenarios_file else {}),
        }
        self._settings_cache: tuple[int, Settings, Mapping[str, Scenario]] = (-1, settings, self.fixed_scenarios)
        self._state_fresh_until = 0.0
        self._generation = 0
        self.housekeeping_pid = 0
        #: Whether this process is the whole of its run (in process, ``KlingMock``): closing it ends the run.
        self.owns_run = False
        self._closing = threading.Event()
        self._chaos_lock = threading.Lock()
        self._chaos: tuple[int, random.Random] = (settings.chaos_seed, random.Random(settings.chaos_seed))

    def settings(self) -> Settings:
        """The settings in force: the configured ones with the run-time changes of the shared state."""
        return self._settings_for(self.store.state().generation)[0]

    def scenarios(self) -> Mapping[str, Scenario]:
        """Every scenario a request may ask for: built in, from the file, and defined at run time."""
        return self._settings_for(self.store.state().generation)[1]

    def _settings_for(self, generation: int) -> tuple[Settings, Mapping[str, Scenario]]:
        """The settings and scenarios of a generation of the shared state (both change only with it)."""
        cached_generation, settings, scenarios = self._settings_cache
        if cached_generation != generation:
            settings = self.base_settings.with_changes(self.store.state().config_changes)
            defined = {name: scenario_from_json(name, d) for name, d in self.store.defined_scenarios().items()}
            scenarios = {**self.fixed_scenarios, **defined}
            self._settings_cache = (generation, settings, scenarios)
        return settings, scenarios

    def begin_request(self) -> RequestView:
        """The request's clock reading and settings, from the shared state.

        On the virtual clock the state is read for every request (another worker may have moved the
        clock). On the real clock it is read at most every 50 ms: run-time config changes made through
        another worker take effect here within that time, and this worker's own at once.
        """
        if self.clock.virtual:
            state = self.store.state()
            return RequestView(state.clock_ms, *self._settings_for(state.generation))
        wall = time.monotonic()
        if wall >= self._state_fresh_until:
            self._generation = self.store.state().generation
            self._state_fresh_until = wall + _STATE_TTL_SECONDS
        return RequestView(self.clock.now_ms(), *self._settings_for(self._generation))

    def set_config_changes(self, changes: Mapping[str, Any]) -> Settings:
        """Apply run-time settings changes for every worker; refuse impossible ones with ``ValueError``."""
        settings = self.base_settings.with_changes(changes)
        self.store.set_config_changes(changes)
        self._state_fresh_until = 0.0
        return settings

    def define_scenario(self, scenario: Scenario, definition: Mapping[str, Any]) -> None:
        """Define a scenario for every worker; ``ValueError`` if it would replace a built-in or file one."""
        if scenario.name in self.fixed_scenarios:
            raise ValueError(f"scenario {scenario.name!r} is built in (or from --scenarios FILE); choose another name")
        self.store.define_scenario(scenario.name, definition)
        self._state_fresh_until = 0.0

    def forget_scenario(self, name: str) -> bool:
        gone = self.store.forget_scenario(name)
        self._state_fresh_until = 0.0
        return gone

    def start_housekeeping(self) -> None:
        """In this process: deliver due callbacks (real clock) and flush the journal, every so often."""
        self.housekeeping_pid = os.getpid()
        interval = self.base_settings.dispatch_interval_seconds
        self.dispatcher.start(interval, deliver=not self.clock.virtual, also=self._flush)
        if self.store.team:
            threading.Thread(target=self._keep_run_alive, name="kling-mock-alive", daemon=True).start()

    def _flush(self) -> None:
        self.store.flush_journal()
        self.request_log.flush()

    def _keep_run_alive(self) -> None:
        """A thread of its own: slow callbacks or a failing journal never keep it from saying the run is alive."""
        while not self._closing.wait(RUN_BEAT_SECONDS):
            with contextlib.suppress(*self.store.errors):  # the database is away: said again at the next beat
                self.store.keep_run_alive()

    def chaos_draw(self, seed: int) -> float:
        """The next number of the seeded chaos sequence (restarted when the seed changes)."""
        with self._chaos_lock:
            current_seed, rng = self._chaos
            if current_seed != seed:
                rng = random.Random(seed)
                self._chaos = (seed, rng)
            return rng.random()

    def reset(self) -> None:
        self.store.reset()
        self._state_fresh_until = 0.0
        with self._chaos_lock:
            seed = self.base_settings.chaos_seed
            self._chaos = (seed, random.Random(seed))

    def close(self) -> None:
        self._closing.set()
        self.dispatcher.stop()
        self.request_log.flush()
        self.store.flush_journal()
        if self.owns_run and self.store.team:
            # A mock in a process of its own: its run ends with it (a launched server's ends with its launcher).
            with contextlib.suppress(*self.store.errors):
                self.store.end_run()
        self.store.close()


def _skip_recorded_ids(store: Store, replay: Recording) -> None:
    """A recording of the mock holds ids it could give again: a simulated task, identify-face session or audio
    never takes one of them."""
    store.skip_seqs("tasks", max((s for s in map(seq_of, replay.tasks) if s is not None), default=0))
    store.skip_seqs("sessions", max((s for s in map(session_seq_of, replay.session_ids) if s is not None), default=0))
    store.skip_seqs("audios", max((s for s in map(AUDIO_IDS.seq_of, replay.audio_ids) if s is not None), default=0))


def mock_runtime(app: Flask | None = None) -> MockRuntime:
    """The runtime of ``app`` (the current app by default)."""
    target = current_app if app is None else app
    found: MockRuntime = target.extensions["kling_mock"]
    return found
