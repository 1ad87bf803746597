"""Window definitions (validation, derived times) and the result record format."""

from __future__ import annotations

from typing import Any

import pytest

from stream_engine.windows import KeyState, PartitionState, WindowDef, WindowResult, WindowState
from stream_engine.windows.fixed import window_starts
from stream_engine.windows.results import iso_ms


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "weekly"}, "unknown type 'weekly'"),
        ({"kind": "tumbling"}, "invalid tumbling window: size must be greater than 0"),
        ({"kind": "tumbling", "size_ms": 10, "gap_ms": 5}, "gap does not apply to a tumbling"),
        ({"kind": "hopping", "size_ms": 10}, "advance must be greater than 0"),
        ({"kind": "hopping", "size_ms": 10, "advance_ms": 11}, "must not exceed size"),
        ({"kind": "session", "gap_ms": 0}, "gap must be greater than 0"),
        ({"kind": "sliding", "difference_ms": -1}, "difference must not be negative"),
        ({"kind": "sliding", "difference_ms": 5, "size_ms": 5}, "size does not apply"),
        ({"kind": "tumbling", "size_ms": 1.5}, "size must be a whole number of milliseconds"),
        ({"kind": "tumbling", "size_ms": 10, "grace_ms": -1}, "grace must not be negative"),
    ],
)
def test_invalid_definitions(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        WindowDef(**kwargs)
    assert "\n" not in str(info.value)


def test_horizon_and_close_times() -> None:
    assert WindowDef("tumbling", size_ms=300_000, grace_ms=30_000).horizon_ms() == 330_000
    assert WindowDef("hopping", size_ms=60, advance_ms=10, grace_ms=5).horizon_ms() == 65
    assert WindowDef("sliding", difference_ms=10, grace_ms=5).horizon_ms() == 17
    assert WindowDef("session", gap_ms=10, grace_ms=5).horizon_ms() == 15
    assert WindowDef("tumbling", size_ms=10, grace_ms=5).close_at(10) == 15
    assert WindowDef("session", gap_ms=10, grace_ms=5).close_at(11) == 26


@pytest.mark.parametrize(
    ("ts", "size", "advance", "starts"),
    [
        (7, 10, 10, [0]),
        (10, 10, 10, [10]),
        (-1, 10, 10, [-10]),
        (-10, 10, 10, [-10]),
        (12, 10, 5, [5, 10]),
        (10, 10, 5, [5, 10]),
        (3, 10, 3, [-6, -3, 0, 3]),
    ],
)
def test_window_starts(ts: int, size: int, advance: int, starts: list[int]) -> None:
    assert window_starts(ts, size, advance) == starts


def test_result_record_and_key() -> None:
    r = WindowResult("u1", 1_700_000_000_000, 1_700_000_300_000, {"views": 3}, 3, 1, True)
    assert r.record() == {
        "key": "u1",
        "window_start": 1_700_000_000_000,
        "window_end": 1_700_000_300_000,
        "window_start_iso": "2023-11-14T22:13:20.000Z",
        "window_end_iso": "2023-11-14T22:18:20.000Z",
        "views": 3,
        "count": 3,
    }
    assert r.kafka_key() == b"u1|1700000000000"
    update = WindowResult("u1", 0, 5, {}, 2, 7, False)
    assert update.record()["seq"] == 7
    assert iso_ms(-1) == "1969-12-31T23:59:59.999Z"
    assert iso_ms(10**17) is None


def test_state_json_roundtrip() -> None:
    state = PartitionState(watermark=5, offset=9)
    state.windows[("k", 0)] = WindowState("k", 0, 10, {"n": 2}, count=2, last_offset=9)
    state.markers[("k", -10)] = WindowState("k", -10, 0, {}, 1, 3, 0, closed=True)
    state.keys["s"] = KeyState("s", 4, {1: WindowState("s", 1, 3, {"n": 1})}, [[1, 4, {}]])
    entries = state.to_changelog(dirty_only=False)
    again = PartitionState.from_changelog(entries)
    assert again.to_changelog(dirty_only=False) == entries
    assert PartitionState.from_changelog([*entries, ("k|s", None)]).keys == {}
    with pytest.raises(ValueError, match="unknown window changelog entry 'x'"):
        PartitionState.from_changelog([("x", {})])
