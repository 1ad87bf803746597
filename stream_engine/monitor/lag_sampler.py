"""Poll a group's offsets on a background thread, off the worker's hot path."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from stream_engine.errors import StreamEngineError
from stream_engine.monitor.lag import GroupLag, LagTracker, OffsetsSnapshot

log = logging.getLogger(__name__)


class LagSampler:
    """Feeds snapshots to a LagTracker; the latest report is kept for metrics and logs."""

    def __init__(
        self,
        tracker: LagTracker,
        snapshot: Callable[[], OffsetsSnapshot],
        on_update: Callable[[GroupLag], None] | None = None,
    ) -> None:
        self.tracker = tracker
        self._snapshot = snapshot
        self._on_update = on_update
        self.latest: GroupLag | None = None
        self._last_error = ""
        self._lock = threading.Lock()

    def sample(self) -> GroupLag:
        """One poll; raises StreamEngineError (e.g. BrokerError) when the cluster cannot say."""
        lag = self.tracker.update(self._snapshot())
        with self._lock:
            self.latest = lag
        if self._on_update is not None:
            self._on_update(lag)
        return lag

    def sample_quietly(self) -> GroupLag | None:
        """One poll for background use: a failure is logged once, then retried next time."""
        try:
            lag = self.sample()
        except StreamEngineError as exc:
            if str(exc) != self._last_error:
                log.warning("lag sampling failed: %s", exc)
            self._last_error = str(exc)
            return None
        self._last_error = ""
        return lag


class Every:
    """A daemon thread calling `tick` every `interval_s` until closed."""

    def __init__(self, interval_s: float, tick: Callable[[], None], name: str) -> None:
        self.interval_s = interval_s
        self._tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._tick()
            except Exception:  # a monitoring hiccup must never kill the thread or the worker
                log.exception("background monitor tick failed")

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)  # a sample stuck on a dead cluster must not delay exit
