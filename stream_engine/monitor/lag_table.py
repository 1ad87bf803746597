"""Lag in seconds from a per-partition table of (high watermark, time) points.

The approach kafka-lag-exporter takes: every poll records when the log end offset was
seen. The record at offset `c` (the next one the group will read) did not exist when the
high watermark was <= c and existed once it was > c, so it was produced between those two
sightings; linear interpolation between them estimates when. The lag in seconds is the
time since then. A committed offset older than the table's first point cannot be
bracketed, so its lag is unknown (None), never an extrapolated guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_POINTS = 360


@dataclass(frozen=True, slots=True)
class Point:
    offset: int  # the high watermark seen
    time: float  # when (epoch seconds)


@dataclass
class LagTable:
    """Points in time order with non-decreasing offsets; bounded by thinning, not truncation."""

    capacity: int = MAX_POINTS
    points: list[Point] = field(default_factory=list)

    def add(self, offset: int, time: float) -> None:
        pts = self.points
        if pts and (offset < pts[-1].offset or time < pts[-1].time):
            pts.clear()  # the log was truncated or recreated, or the clock went back
        # A flat run keeps its first point (when offset-1 was known to exist) and its last
        # one (the start of the segment that produced the next record).
        if len(pts) >= 2 and pts[-1].offset == pts[-2].offset == offset:
            pts[-1] = Point(offset, time)
        else:
            pts.append(Point(offset, time))
        if len(pts) > self.capacity:
            self._thin()

    def _thin(self) -> None:
        """Drop the interior point whose neighbours are closest in time: every lookup stays
        bracketed by real sightings, only the resolution gets coarser where it was finest."""
        pts = self.points
        best = min(range(1, len(pts) - 1), key=lambda i: pts[i + 1].time - pts[i - 1].time)
        del pts[best]

    def produced_at(self, offset: int) -> float | None:
        """Estimated time the record at `offset` was produced; None when not bracketed."""
        pts = self.points
        if len(pts) < 2 or offset < pts[0].offset or offset >= pts[-1].offset:
            return None
        # first point whose offset is beyond `offset` (binary search: offsets are sorted)
        lo, hi = 0, len(pts) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if pts[mid].offset > offset:
                hi = mid
            else:
                lo = mid + 1
        right = pts[lo]
        left = pts[lo - 1] if lo > 0 else None
        if left is None:
            return None  # offset < first point's offset is excluded above; defensive
        span = right.offset - left.offset
        return left.time + (offset - left.offset) * (right.time - left.time) / span

    def lag_seconds(self, committed: int, high_watermark: int, now: float) -> float | None:
        """Seconds the group is behind: 0 when caught up, None when it cannot be estimated."""
        if committed >= high_watermark:
            return 0.0
        produced = self.produced_at(committed)
        return None if produced is None else max(0.0, now - produced)
