"""Lag in seconds by interpolation: exact against a brute-force reference, and never
outside the interval in which the record was really produced."""

from __future__ import annotations

import bisect

from hypothesis import given, settings
from hypothesis import strategies as st

from stream_engine.monitor.lag_table import LagTable


def test_interpolates_between_the_sightings_around_the_offset() -> None:
    table = LagTable()
    table.add(100, 1000.0)
    table.add(200, 1010.0)
    table.add(400, 1020.0)
    assert table.produced_at(150) == 1005.0
    assert table.produced_at(300) == 1015.0
    assert table.lag_seconds(300, 400, now=1020.0) == 5.0
    assert table.lag_seconds(400, 400, now=1020.0) == 0.0  # caught up
    assert table.lag_seconds(450, 400, now=1020.0) == 0.0


def test_unknown_when_the_offset_is_older_than_the_table_or_points_are_missing() -> None:
    table = LagTable()
    assert table.lag_seconds(0, 10, now=5.0) is None  # no points
    table.add(10, 1.0)
    assert table.lag_seconds(5, 10, now=5.0) is None  # one point
    table.add(20, 2.0)
    assert table.lag_seconds(5, 20, now=5.0) is None  # before the first sighting
    assert table.lag_seconds(10, 20, now=5.0) == 4.0


def test_a_flat_run_keeps_its_first_and_last_sighting() -> None:
    table = LagTable()
    for t in (0.0, 1.0, 2.0, 3.0):
        table.add(50, t)
    table.add(60, 4.0)
    assert [(p.offset, p.time) for p in table.points] == [(50, 0.0), (50, 3.0), (60, 4.0)]
    # offset 55 appeared after the idle spell, between t=3 and t=4
    assert table.produced_at(55) == 3.5
    # offset 49 existed by t=0 but the table cannot tell when it was produced
    assert table.produced_at(49) is None


def test_a_truncated_or_recreated_log_starts_a_new_table() -> None:
    table = LagTable()
    table.add(100, 1.0)
    table.add(200, 2.0)
    table.add(5, 3.0)
    assert [(p.offset, p.time) for p in table.points] == [(5, 3.0)]


def _reference(points: list[tuple[int, float]], offset: int) -> float | None:
    """Brute force: scan every sighting for the first one beyond the offset."""
    if len(points) < 2 or offset < points[0][0] or offset >= points[-1][0]:
        return None
    for i, (o, t) in enumerate(points):
        if o > offset:
            lo, lt = points[i - 1]
            return lt + (offset - lo) * (t - lt) / (o - lo)
    return None


production = st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=60).map(sorted)
polls = st.lists(st.floats(0, 110, allow_nan=False), min_size=2, max_size=40).map(sorted)


@settings(max_examples=300, deadline=None)
@given(production, polls)
def test_matches_the_reference_and_brackets_the_true_production_time(
    produced: list[float], poll_times: list[float]
) -> None:
    table = LagTable(capacity=10_000)
    sightings: list[tuple[int, float]] = []
    for t in poll_times:
        high = bisect.bisect_right(produced, t)  # records produced by time t
        table.add(high, t)
        if len(sightings) >= 2 and sightings[-1][0] == sightings[-2][0] == high:
            sightings[-1] = (high, t)
        else:
            sightings.append((high, t))
    for offset in range(len(produced)):
        estimate = table.produced_at(offset)
        expected = _reference(sightings, offset)
        assert (estimate is None) == (expected is None)
        if estimate is not None and expected is not None:
            assert abs(estimate - expected) < 1e-9
            last_without = max(t for h, t in sightings if h <= offset)
            first_with = min(t for h, t in sightings if h > offset)
            assert last_without < produced[offset] <= first_with
            assert last_without <= estimate <= first_with


@settings(max_examples=200, deadline=None)
@given(production, polls, st.integers(3, 8))
def test_thinning_keeps_every_estimate_between_real_sightings(
    produced: list[float], poll_times: list[float], capacity: int
) -> None:
    table = LagTable(capacity=capacity)
    for t in poll_times:
        table.add(bisect.bisect_right(produced, t), t)
    assert len(table.points) <= capacity
    for offset in range(len(produced)):
        estimate = table.produced_at(offset)
        if estimate is None:
            continue
        pts = table.points
        left = max((p for p in pts if p.offset <= offset), key=lambda p: p.time)
        right = min((p for p in pts if p.offset > offset), key=lambda p: p.time)
        assert left.time <= estimate <= right.time
        assert left.time < produced[offset] <= right.time
