"""Burrow-style status from scripted offset histories: every transition, exact verdicts."""

from __future__ import annotations

import pytest

from stream_engine.monitor.status import Observation, Status, group_status, partition_status

WINDOW = 10.0


def history(
    committed: list[int], high: list[int], owned: bool | None = None, step: float = 2.0
) -> list[Observation]:
    """Observations every `step` seconds from t=0."""
    return [
        Observation(i * step, c, h, owned)
        for i, (c, h) in enumerate(zip(committed, high, strict=True))
    ]


def at_end(obs: list[Observation]) -> Status:
    return partition_status(obs, obs[-1].time, WINDOW)


CASES = [
    # name, committed, high watermarks, owned, expected
    ("caught up", [10, 20, 30, 40, 50, 60], [10, 20, 30, 40, 50, 60], None, Status.OK),
    ("keeps pace behind", [0, 10, 20, 30, 40, 50], [5, 15, 25, 35, 45, 55], None, Status.OK),
    ("catching up", [0, 10, 20, 30, 40, 50], [60, 60, 60, 60, 60, 60], None, Status.OK),
    ("falls behind", [0, 5, 10, 15, 20, 25], [10, 20, 30, 40, 50, 60], None, Status.WARN),
    # lag flat once, then grows: not "grew across the whole window"
    ("flat then grows", [0, 10, 15, 20, 25, 30], [10, 20, 30, 40, 50, 60], None, Status.WARN),
    ("shrinks once", [0, 5, 20, 25, 30, 35], [10, 20, 30, 40, 50, 60], None, Status.OK),
    ("stopped, records arriving", [5] * 6, [10, 20, 30, 40, 50, 60], None, Status.STOP),
    ("stopped, group empty", [5] * 6, [10, 20, 30, 40, 50, 60], False, Status.STOP),
    ("stuck while a member owns it", [5] * 6, [10, 20, 30, 40, 50, 60], True, Status.STALL),
    ("stuck on an idle topic", [5] * 6, [10] * 6, None, Status.STALL),
    ("idle topic, stopped and caught up", [10] * 6, [10] * 6, None, Status.OK),
    ("idle topic, group empty", [10] * 6, [10] * 6, False, Status.OK),
    ("rewind", [0, 10, 20, 5, 15, 25], [30, 30, 30, 30, 30, 30], None, Status.REWIND),
    ("rewind beats stop", [20, 20, 20, 20, 20, 3], [30, 40, 50, 60, 70, 80], None, Status.REWIND),
    ("zero lag once in window", [5, 10, 10, 10, 10, 10], [10, 10, 20, 30, 40, 50], None, Status.OK),
]


@pytest.mark.parametrize(
    ("committed", "high", "owned", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_status_of_a_scripted_history(
    committed: list[int], high: list[int], owned: bool | None, expected: Status
) -> None:
    assert at_end(history(committed, high, owned)) == expected


def test_not_enough_history_is_ok_until_the_window_is_covered() -> None:
    stopped = history([5] * 6, [10, 20, 30, 40, 50, 60])  # t = 0..10
    assert partition_status(stopped[:5], 8.0, WINDOW) == Status.OK  # 8 s of a 10 s window
    assert partition_status(stopped, 10.0, WINDOW) == Status.STOP


def test_a_rewind_shows_even_before_the_window_is_covered() -> None:
    obs = history([10, 4], [20, 20])
    assert partition_status(obs, 2.0, WINDOW) == Status.REWIND


def test_status_changes_as_the_window_slides() -> None:
    """Falling behind, then stopping, then recovering, then rewinding: one status per time."""
    committed = [0, 5, 10, 15, 20, 25, 25, 25, 25, 25, 25, 80, 90, 100, 110, 120, 130, 10]
    high = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 120, 120, 120, 130, 130, 130]
    obs = history(committed, high)
    statuses = [partition_status(obs[: i + 1], obs[i].time, WINDOW) for i in range(len(obs))]
    assert statuses == [
        Status.OK,  # t=0..8: the window is not covered yet
        Status.OK,
        Status.OK,
        Status.OK,
        Status.OK,
        Status.WARN,  # t=10: lag 10,15,20,25,30,35 grew at every step
        Status.WARN,  # t=12: committed 5..25 moved; lag 15..45 grew
        Status.WARN,  # t=14
        Status.WARN,  # t=16: committed 15,20,25,25,25,25 still moved in the window
        Status.WARN,  # t=18: committed 20 -> 25 moved
        Status.STOP,  # t=20: committed 25 for the whole window while records arrived
        Status.OK,  # t=22: moved again and lag fell (85 -> 40)
        Status.OK,
        Status.OK,
        Status.OK,
        Status.OK,  # t=30: lags 85, 40, 30, 20, 10, 10 since t=20: falling, never zero
        Status.OK,  # t=32: lag 0
        Status.REWIND,  # t=34: 130 -> 10
    ]


def test_group_status_is_the_most_severe() -> None:
    assert group_status([]) == Status.OK
    assert group_status([Status.OK, Status.WARN]) == Status.WARN
    assert group_status([Status.WARN, Status.REWIND, Status.OK]) == Status.REWIND
    assert group_status([Status.STALL, Status.REWIND]) == Status.STALL
    assert group_status([Status.STALL, Status.STOP, Status.OK]) == Status.STOP
