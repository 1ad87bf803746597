"""Session windows: chaining, bridge merges, open-only merges, tombstones in update mode."""

from __future__ import annotations

import json

from stream_engine.windows import (
    AggregationPlan,
    PartitionState,
    WindowDef,
    WindowInput,
    WindowOperator,
    WindowOutput,
)

PLAN = AggregationPlan({"n": ("count", None, {}), "vals": ("collect", "v", {})})


def rec(offset: int, ts: int, key: str = "a") -> WindowInput:
    return WindowInput(offset, ts, key, {"v": ts})


def spans(out: WindowOutput) -> list[tuple[str, int, int, list[int]]]:
    return [(r.key, r.start, r.end, r.fields["vals"]) for r in out.results]


def test_bridge_record_merges_two_sessions() -> None:
    op = WindowOperator("s", WindowDef("session", gap_ms=5, grace_ms=10), PLAN)
    state = PartitionState()
    out = op.process(state, [rec(0, 0), rec(1, 10), rec(2, 5)])
    assert out.results == []
    assert [(w.start, w.end) for w in state.open_windows()] == [(0, 11)]
    assert spans(op.flush(state)) == [("a", 0, 11, [0, 5, 10])]


def test_gap_is_inclusive() -> None:
    op = WindowOperator("s", WindowDef("session", gap_ms=5, grace_ms=10), PLAN)
    state = PartitionState()
    op.process(state, [rec(0, 0), rec(1, 5), rec(2, 11)])
    assert spans(op.flush(state)) == [("a", 0, 6, [0, 5]), ("a", 11, 12, [11])]


def test_close_time_is_last_plus_one_plus_gap_plus_grace() -> None:
    op = WindowOperator("s", WindowDef("session", gap_ms=5, grace_ms=2), PLAN)
    state = PartitionState()
    assert op.process(state, [rec(0, 10), rec(1, 17, "b")]).results == []  # 17 < 10+1+5+2
    assert spans(op.process(state, [rec(2, 18, "b")])) == [("a", 10, 11, [10])]


def test_closed_sessions_are_never_joined() -> None:
    op = WindowOperator("s", WindowDef("session", gap_ms=5), PLAN)
    state = PartitionState()
    out = op.process(state, [rec(0, 0), rec(1, 8), rec(2, 3), rec(3, 0)])
    # t=8 closes [0] (at 0+1+5). t=3 reaches only the open [8] (the closed [0] is
    # ignored) and a session of its own would stay open until 9 > 8: it joins [8].
    # t=0 lies in the closed [0] and its own session would be closed already: late.
    assert spans(out) == [("a", 0, 1, [0])]
    assert [i.ts for i, _ in out.late] == [0]
    assert spans(op.flush(state)) == [("a", 3, 9, [3, 8])]


def test_inside_an_open_session_is_never_late() -> None:
    op = WindowOperator("s", WindowDef("session", gap_ms=5), PLAN)
    state = PartitionState()
    op.process(state, [rec(i, 4 * i) for i in range(10)])  # one session 0..36
    out = op.process(state, [rec(10, 12)])  # 24 behind the watermark, inside [0, 36]
    assert out.late == [] and out.applied == 1
    assert op.flush(state).results[0].count == 11


def test_a_very_late_record_cannot_give_a_session_the_start_of_a_closed_one() -> None:
    # Closed [11] keeps key "c|11"; t=11 reaching the open [18] would create another
    # session starting at 11 with the same result key. It is late instead.
    op = WindowOperator("s", WindowDef("session", gap_ms=7), PLAN)
    state = PartitionState()
    out = op.process(state, [rec(0, 11, "c"), rec(1, 19, "x"), rec(2, 18, "c"), rec(3, 11, "c")])
    assert spans(out) == [("c", 11, 12, [11])]
    assert [i.offset for i, _ in out.late] == [3]
    assert [(r.key, r.start) for r in op.flush(state).results] == [("c", 18), ("x", 19)]


def test_update_mode_tombstones_replaced_windows() -> None:
    op = WindowOperator("s", WindowDef("session", gap_ms=5, grace_ms=10), PLAN, emit="update")
    state = PartitionState()
    first = op.process(state, [rec(0, 0)])
    second = op.process(state, [rec(1, 10)])
    third = op.process(state, [rec(2, 5)])
    assert [(r.start, r.seq) for r in first.results + second.results] == [(0, 1), (10, 1)]
    assert [(r.start, r.tombstone, r.seq, r.count) for r in third.results] == [
        (10, True, 0, 0),
        (0, False, 3, 3),
    ]
    tomb = third.results[0]
    assert tomb.kafka_key() == b"a|10"  # the key of the window it replaced
    # An earlier record moves the start: the old key is replaced too.
    fourth = op.process(state, [rec(3, -3)])
    assert [(r.start, r.tombstone, r.seq) for r in fourth.results] == [
        (0, True, 0),
        (-3, False, 4),
    ]


def test_update_mode_merge_within_one_call_tombstones_the_unsent_key_too() -> None:
    op = WindowOperator("s", WindowDef("session", gap_ms=5, grace_ms=10), PLAN, emit="update")
    out = op.process(PartitionState(), [rec(0, 0), rec(1, 10), rec(2, 5)])
    # A crash could have sent a|10 before; the tombstone makes the result topic right.
    assert [(r.start, r.tombstone, r.seq) for r in out.results] == [(10, True, 0), (0, False, 3)]


def test_session_state_survives_the_changelog() -> None:
    op = WindowOperator("s", WindowDef("session", gap_ms=5, grace_ms=10), PLAN)
    state = PartitionState()
    log = op.process(state, [rec(0, 0), rec(1, 10)]).changelog
    state = PartitionState.from_changelog(json.loads(json.dumps(log)))
    op.process(state, [rec(1, 10), rec(2, 5)])  # offset 1 again: skipped
    assert spans(op.flush(state)) == [("a", 0, 11, [0, 5, 10])]
