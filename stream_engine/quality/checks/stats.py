"""Running statistics behind the aggregate checks, identical however the rows are batched.

Sums are folded sequentially (``np.cumsum`` adds left to right, unlike ``np.sum``'s
pairwise summation), so adding rows in one call or in many gives the same floats bit for
bit; that is what lets a stream's per-window verdicts ignore batch boundaries and equal
an offline run over the same rows in the same order. Values are shifted by the first one
seen, which keeps the variance accurate for large values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from stream_engine.quality.checks.values import column, epoch_ms, null_mask, numbers


def _fold(start: float, values: npt.NDArray[np.float64]) -> float:
    """``((start + v0) + v1) + ...`` exactly as a record-by-record loop would add."""
    if not len(values):
        return start
    return float(np.cumsum(np.concatenate(([start], values)))[-1])


@dataclass
class NumberStats:
    """Count, shifted sums, min and max of a column's numeric values."""

    count: int = 0
    shift: float | None = None
    s1: float = 0.0
    s2: float = 0.0
    low: float | None = None
    high: float | None = None

    def add(self, values: npt.NDArray[np.float64]) -> None:
        values = values[~np.isnan(values)]
        if not len(values):
            return
        if self.shift is None:
            self.shift = float(values[0])
        # Values near the float limit overflow to inf (the verdict shows it); no numpy warning.
        with np.errstate(over="ignore", invalid="ignore"):
            centered = values - self.shift
            self.count += len(values)
            self.s1 = _fold(self.s1, centered)
            self.s2 = _fold(self.s2, centered * centered)
        low, high = float(values.min()), float(values.max())
        self.low = low if self.low is None else min(self.low, low)
        self.high = high if self.high is None else max(self.high, high)

    @property
    def mean(self) -> float | None:
        if not self.count or self.shift is None:
            return None
        return self.shift + self.s1 / self.count

    @property
    def stddev(self) -> float | None:
        """Sample standard deviation (n - 1), as pandas computes it; None below 2 values."""
        if self.count < 2:
            return None
        variance = (self.s2 - self.s1 * self.s1 / self.count) / (self.count - 1)
        return math.sqrt(max(variance, 0.0))

    @property
    def total(self) -> float | None:
        if not self.count or self.shift is None:
            return None
        return self.shift * self.count + self.s1


@dataclass
class ColumnStats:
    nulls: int = 0
    not_numbers: int = 0
    numbers: NumberStats | None = None
    newest_ms: float | None = None  # freshness: largest timestamp seen
    bad_times: int = 0


@dataclass
class StatsPlan:
    """Which statistics the aggregate checks of a table need, per column."""

    null_columns: frozenset[str] = frozenset()
    number_columns: frozenset[str] = frozenset()
    time_columns: frozenset[str] = frozenset()

    @property
    def columns(self) -> frozenset[str]:
        return self.null_columns | self.number_columns | self.time_columns


@dataclass
class TableStats:
    """Rows seen and per-column statistics; ``add`` a frame at a time, in row order."""

    plan: StatsPlan
    rows: int = 0
    columns: dict[str, ColumnStats] = field(default_factory=dict)

    def add(self, frame: pd.DataFrame) -> None:
        self.rows += len(frame)
        for name in sorted(self.plan.columns):
            stats = self.columns.setdefault(name, ColumnStats())
            series = column(frame, name)
            stats.nulls += int(null_mask(series).sum())
            if name in self.plan.number_columns:
                values, not_number = numbers(series)
                stats.not_numbers += int(not_number.sum())
                if stats.numbers is None:
                    stats.numbers = NumberStats()
                stats.numbers.add(values)
            if name in self.plan.time_columns:
                stamps, bad = epoch_ms(series)
                stats.bad_times += int(bad.sum())
                valid = stamps[~np.isnan(stamps)]
                if len(valid):
                    newest = float(valid.max())
                    stats.newest_ms = (
                        newest if stats.newest_ms is None else max(stats.newest_ms, newest)
                    )

    def column(self, name: str) -> ColumnStats:
        return self.columns.get(name) or ColumnStats()

    def to_dict(self) -> dict[str, Any]:
        """A JSON form for the stream's state changelog (floats round-trip exactly)."""
        out: dict[str, Any] = {"rows": self.rows, "columns": {}}
        for name, stats in self.columns.items():
            entry: dict[str, Any] = {
                "nulls": stats.nulls,
                "not_numbers": stats.not_numbers,
                "newest_ms": stats.newest_ms,
                "bad_times": stats.bad_times,
            }
            if stats.numbers is not None:
                n = stats.numbers
                entry["numbers"] = [n.count, n.shift, n.s1, n.s2, n.low, n.high]
            out["columns"][name] = entry
        return out

    @classmethod
    def from_dict(cls, plan: StatsPlan, data: dict[str, Any]) -> TableStats:
        stats = cls(plan, int(data["rows"]))
        for name, entry in data["columns"].items():
            col = ColumnStats(
                int(entry["nulls"]),
                int(entry["not_numbers"]),
                None,
                entry["newest_ms"],
                int(entry["bad_times"]),
            )
            if "numbers" in entry:
                count, shift, s1, s2, low, high = entry["numbers"]
                col.numbers = NumberStats(int(count), shift, float(s1), float(s2), low, high)
            stats.columns[name] = col
        return stats
