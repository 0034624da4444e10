"""Everything one mock app holds at run time, kept on ``app.extensions["kling_mock"]`` (no globals)."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from .callbacks import CallbackDispatcher
from .clock import Clock, SystemClock, VirtualClock
from .families import Families
from .requestlog import RequestLog
from .settings import Settings
from .store import Store

__all__ = ["MockRuntime", "RequestView", "mock_runtime"]

_STATE_TTL_SECONDS = 0.05


@dataclass(frozen=True)
class RequestView:
    """What one request sees: the time and the settings in force."""

    now_ms: int
    settings: Settings


class MockRuntime:
    """The store, clock, compiled rules, callback dispatcher and chaos source of one app."""

    def __init__(self, settings: Settings) -> None:
        self.base_settings = settings
        self.store = Store(settings.db, clock_start_ms=settings.virtual_clock_start_ms)
        self.clock: Clock = VirtualClock(self.store.clock_ms) if settings.clock == "virtual" else SystemClock()
        self.families = Families()
        self.dispatcher = CallbackDispatcher(self.store, self.clock, self.settings, self.families)
        self.request_log = RequestLog()
        self._settings_cache: tuple[int, Settings] = (-1, settings)
        self._state_fresh_until = 0.0
        self._generation = 0
        self.housekeeping_pid = 0
        self._chaos_lock = threading.Lock()
        self._chaos: tuple[int, random.Random] = (settings.chaos_seed, random.Random(settings.chaos_seed))

    def settings(self) -> Settings:
        """The settings in force: the configured ones with the run-time changes of the shared state."""
        return self._settings_for(self.store.state().generation)

    def _settings_for(self, generation: int) -> Settings:
        cached_generation, cached = self._settings_cache
        if cached_generation != generation:
            changes = self.store.state().config_changes
            cached = self.base_settings.with_changes(changes)
            self._settings_cache = (generation, cached)
        return cached

    def begin_request(self) -> RequestView:
        """The request's clock reading and settings, from the shared state.

        On the virtual clock the state is read for every request (another worker may have moved the
        clock). On the real clock it is read at most every 50 ms: run-time config changes made through
        another worker take effect here within that time, and this worker's own at once.
        """
        if self.clock.virtual:
            state = self.store.state()
            return RequestView(state.clock_ms, self._settings_for(state.generation))
        wall = time.monotonic()
        if wall >= self._state_fresh_until:
            self._generation = self.store.state().generation
            self._state_fresh_until = wall + _STATE_TTL_SECONDS
        return RequestView(self.clock.now_ms(), self._settings_for(self._generation))

    def set_config_changes(self, changes: Mapping[str, Any]) -> Settings:
        """Apply run-time settings changes for every worker; refuse impossible ones with ``ValueError``."""
        settings = self.base_settings.with_changes(changes)
        self.store.set_config_changes(changes)
        self._state_fresh_until = 0.0
        return settings

    def start_housekeeping(self) -> None:
        """In this process: deliver due callbacks (real clock) and flush the journal, every so often."""
        self.housekeeping_pid = os.getpid()
        interval = self.base_settings.dispatch_interval_seconds
        self.dispatcher.start(interval, deliver=not self.clock.virtual, also=self._flush)

    def _flush(self) -> None:
        self.store.flush_journal()
        self.request_log.flush()

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
        self.dispatcher.stop()
        self.request_log.flush()
        self.store.flush_journal()
        self.store.close()


def mock_runtime(app: Flask | None = None) -> MockRuntime:
    """The runtime of ``app`` (the current app by default)."""
    target = current_app if app is None else app
    found: MockRuntime = target.extensions["kling_mock"]
    return found
