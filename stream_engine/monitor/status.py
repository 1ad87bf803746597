"""Burrow-style consumer status, evaluated over a window of offset observations.

Pure logic: a partition's history is a list of observations (time, committed offset,
high watermark, whether a live group member owns the partition). The rules, in order:

- REWIND: the committed offset moved back between two observations in the window.
- Not enough history (the observations do not reach back a whole window): OK.
- Lag zero at any observation in the window: OK (a caught-up consumer is healthy).
- STOP: the topic received records in the window (not idle), lag stayed > 0, the
  committed offset never moved during the window (no commits for longer than the
  window), and no live member is known to own the partition.
- STALL: lag stayed > 0 and the committed offset never moved, while a live member owns
  the partition or the topic is idle (nothing new arrived, so nothing proves the
  consumer stopped rather than being stuck on what is there).
- WARN: the committed offset moved, yet lag grew at every step and ended higher than it
  started (the consumer is alive but falling behind).
- OK otherwise.

An idle topic (the high watermark never moved in the window) is therefore never STOP or
WARN. Polling cannot see a commit that repeats the same offset, so "no commits" means
"the committed offset did not change"; group membership tells a stuck consumer (STALL)
from a gone one (STOP).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "OK"
    WARN = "WARN"
    REWIND = "REWIND"
    STALL = "STALL"
    STOP = "STOP"


SEVERITY = {Status.OK: 0, Status.WARN: 1, Status.REWIND: 2, Status.STALL: 3, Status.STOP: 4}


@dataclass(frozen=True, slots=True)
class Observation:
    time: float
    committed: int
    high_watermark: int
    owned: bool | None = None  # a live group member owns the partition; None: unknown

    @property
    def lag(self) -> int:
        return max(0, self.high_watermark - self.committed)


def in_window(history: Sequence[Observation], now: float, window_s: float) -> list[Observation]:
    """The observations of the last `window_s` seconds, plus the one just before as anchor,
    so changes across the whole window are seen. Empty when history does not reach back."""
    start = now - window_s
    anchor = None
    for i, obs in enumerate(history):
        if obs.time <= start:
            anchor = i
    if anchor is None:
        return []
    return [o for o in history[anchor:] if o.time <= now]


def partition_status(history: Sequence[Observation], now: float, window_s: float) -> Status:
    """Status of one partition at `now` (history in time order)."""
    recent = [o for o in history if o.time >= now - window_s and o.time <= now]
    if _rewound(in_window(history, now, window_s) or recent):
        return Status.REWIND
    obs = in_window(history, now, window_s)
    if len(obs) < 2:
        return Status.OK
    if any(o.lag == 0 for o in obs):
        return Status.OK
    first, last = obs[0], obs[-1]
    committed_moved = any(o.committed != first.committed for o in obs)
    idle = last.high_watermark == first.high_watermark
    if not committed_moved:
        owned = last.owned
        if idle or owned:
            return Status.STALL
        return Status.STOP
    lags = [o.lag for o in obs]
    if all(b >= a for a, b in itertools.pairwise(lags)) and lags[-1] > lags[0]:
        return Status.WARN
    return Status.OK


def _rewound(obs: Sequence[Observation]) -> bool:
    return any(b.committed < a.committed for a, b in itertools.pairwise(obs))


def group_status(statuses: Iterable[Status]) -> Status:
    """The most severe partition status: OK < WARN < REWIND < STALL < STOP."""
    return max(statuses, key=SEVERITY.__getitem__, default=Status.OK)
