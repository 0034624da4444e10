"""Everything one mock app holds at run time, kept on ``app.extensions["kling_mock"]`` (no globals)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from flask import Flask, current_app

from .callbacks import CallbackDispatcher
from .clock import Clock, SystemClock, VirtualClock
from .settings import Settings
from .store import Store
from .validation import RequestRules

__all__ = ["MockRuntime", "RequestView", "mock_runtime"]


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
        self.clock: Clock = (
            VirtualClock(self.store.clock_ms, self.store.advance_clock)
            if settings.clock == "virtual"
            else SystemClock()
        )
        self.rules = RequestRules()
        self.dispatcher = CallbackDispatcher(self.store, self.clock, self.settings)
        self._settings_cache: tuple[int, Settings] = (-1, settings)
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
        """One read of the shared state gives the request its clock reading and settings."""
        state = self.store.state()
        now = state.clock_ms if self.clock.virtual else self.clock.now_ms()
        return RequestView(now, self._settings_for(state.generation))

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
        with self._chaos_lock:
            seed = self.base_settings.chaos_seed
            self._chaos = (seed, random.Random(seed))

    def close(self) -> None:
        self.dispatcher.stop()
        self.store.close()


def mock_runtime(app: Flask | None = None) -> MockRuntime:
    """The runtime of ``app`` (the current app by default)."""
    target = current_app if app is None else app
    found: MockRuntime = target.extensions["kling_mock"]
    return found
