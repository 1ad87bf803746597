"""Per-group lag state: offset histories in, per-partition lag, rates and status out.

No I/O here: `LagTracker.update` takes a snapshot of offsets (from kafka_offsets.py in
production, scripted in tests) and returns a `GroupLag` report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stream_engine.monitor.lag_table import LagTable
from stream_engine.monitor.status import Observation, Status, group_status, partition_status

TopicPartitionKey = tuple[str, int]


@dataclass(frozen=True)
class OffsetsSnapshot:
    """What one poll of the cluster saw for a group."""

    time: float
    high_watermarks: dict[TopicPartitionKey, int]
    committed: dict[TopicPartitionKey, int]  # partitions without a commit are absent
    owned: dict[TopicPartitionKey, bool] = field(default_factory=dict)  # absent: unknown


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None
    high_watermark: int
    lag_messages: int | None  # None: the group never committed this partition
    lag_seconds: float | None  # None: cannot be estimated (yet)
    consume_rate: float | None  # messages/s over the window; None: one observation so far
    produce_rate: float | None
    status: Status | None  # None: no commit to evaluate


@dataclass(frozen=True)
class GroupLag:
    group: str
    time: float
    window_s: float
    evaluated: bool  # the history covers a whole window (STOP/STALL/WARN can be told)
    partitions: list[PartitionLag]

    @property
    def status(self) -> Status:
        return group_status(p.status for p in self.partitions if p.status is not None)

    @property
    def total_lag(self) -> int:
        return sum(p.lag_messages or 0 for p in self.partitions)

    @property
    def max_lag_seconds(self) -> float | None:
        known = [p.lag_seconds for p in self.partitions if p.lag_seconds is not None]
        unknown = any(p.lag_seconds is None and p.lag_messages for p in self.partitions)
        return None if unknown or not known else max(known)


class LagTracker:
    def __init__(self, group: str, window_s: float) -> None:
        self.group = group
        self.window_s = window_s
        self.started: float | None = None
        self._tables: dict[TopicPartitionKey, LagTable] = {}
        self._history: dict[TopicPartitionKey, list[Observation]] = {}
        self._highs: dict[TopicPartitionKey, list[tuple[float, int]]] = {}

    def update(self, snap: OffsetsSnapshot) -> GroupLag:
        now = snap.time
        if self.started is None:
            self.started = now
        rows = []
        for tp in sorted(snap.high_watermarks):
            high = snap.high_watermarks[tp]
            table = self._tables.setdefault(tp, LagTable())
            table.add(high, now)
            highs = self._keep(self._highs.setdefault(tp, []), (now, high), now)
            produce = _rate(highs[0], highs[-1])
            committed = snap.committed.get(tp)
            if committed is None:
                rows.append(PartitionLag(*tp, None, high, None, None, None, produce, None))
                continue
            obs = Observation(now, committed, high, snap.owned.get(tp))
            history = self._keep_obs(self._history.setdefault(tp, []), obs, now)
            consume = _rate((history[0].time, history[0].committed), (now, committed))
            rows.append(
                PartitionLag(
                    tp[0],
                    tp[1],
                    committed,
                    high,
                    max(0, high - committed),
                    table.lag_seconds(committed, high, now),
                    consume,
                    produce,
                    partition_status(history, now, self.window_s),
                )
            )
        evaluated = now - self.started >= self.window_s
        return GroupLag(self.group, now, self.window_s, evaluated, rows)

    def _keep(
        self, points: list[tuple[float, int]], point: tuple[float, int], now: float
    ) -> list[tuple[float, int]]:
        points.append(point)
        while len(points) > 2 and points[1][0] <= now - self.window_s:
            del points[0]
        return points

    def _keep_obs(
        self, history: list[Observation], obs: Observation, now: float
    ) -> list[Observation]:
        history.append(obs)
        # keep one observation at or before the window's start: the anchor of its changes
        while len(history) > 2 and history[1].time <= now - self.window_s:
            del history[0]
        return history


def _rate(first: tuple[float, int], last: tuple[float, int]) -> float | None:
    span = last[0] - first[0]
    return None if span <= 0 else (last[1] - first[1]) / span
