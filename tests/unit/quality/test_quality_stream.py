"""Quality in a stream: verdicts per event-time window, de-duplication and halting.

The property tests feed the same rows in random batches and check that dead letters and
window verdicts are identical to a single batch, and that each window's aggregates equal
an offline evaluation of exactly the rows a record-by-record reference puts in it.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from stream_engine.quality import evaluate_dataset, parse_rules
from stream_engine.quality.rules import TableRules
from stream_engine.quality.stream import StreamChecker, StreamOutcome
from stream_engine.quality.stream_state import Entry, QualityState

PER = 1000
GRACE = 500
SPAN = 3000
NOW = 1_700_000_000.0

RULES: dict[str, Any] = {
    "per": "1s",
    "grace": "500ms",
    "dedup_span": "3s",
    "schema": [{"column": "user", "type": "string", "nullable": False}],
    "checks": [
        {"type": "range", "column": "amount", "min": 0, "max": 100},
        {"type": "expression", "expr": "amount != 13", "severity": "warn", "id": "unlucky"},
        {"type": "uniqueness", "column": "eid"},
        {"type": "null_rate", "column": "note", "threshold": 0.5},
        {"type": "row_count", "min": 3},
        {"type": "distribution", "column": "amount", "expected_mean": 50, "tolerance": 0.5},
        {"type": "freshness", "column": "ts", "max_age": "1h"},
        {"type": "anomaly", "metric": "row_count", "warm_up": 2, "history": 5},
    ],
}


def table(**changes: Any) -> TableRules:
    return parse_rules({"tables": {"t": {**RULES, **changes}}}, "r").table("t")


def checker(rules: TableRules | None = None) -> StreamChecker:
    return StreamChecker(rules or table(), clock=lambda: NOW)


rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "user": st.sampled_from(["a", "b", None, 7]),
            "amount": st.sampled_from([1, 13, 50, 99, -1, 500, None, "x", 2.5]),
            "eid": st.integers(0, 15),
            "note": st.sampled_from(["n", None]),
            "dt": st.integers(-1500, 1200),  # disorder: some rows arrive late
        }
    ),
    min_size=1,
    max_size=60,
)


def frame_of(rows: list[dict[str, Any]]) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows with event times that mostly advance, with jitter (some late, some not)."""
    times = np.array([5000 + 300 * i + r["dt"] for i, r in enumerate(rows)], dtype=np.float64)
    frame = pd.DataFrame(
        {
            "user": pd.Series([r["user"] for r in rows], dtype=object),
            "amount": pd.Series([r["amount"] for r in rows], dtype=object),
            "eid": pd.Series([r["eid"] for r in rows], dtype=object),
            "note": pd.Series([r["note"] for r in rows], dtype=object),
            "ts": pd.Series(times.astype(np.int64), dtype=object),
        }
    )
    return frame, times


def run(
    check: StreamChecker, frame: pd.DataFrame, times: np.ndarray, cuts: list[int]
) -> tuple[list[tuple[int, str, str, str]], list[dict[str, Any]], QualityState, list[Entry]]:
    """Process the rows in batches cut at ``cuts``; dead rows are keyed by offset."""
    state = check.new_state()
    offsets = np.arange(len(frame), dtype=np.int64)
    dead: list[tuple[int, str, str, str]] = []
    results: list[dict[str, Any]] = []
    changelog: list[Entry] = []
    bounds = [0, *sorted(set(cuts)), len(frame)]
    for lo, hi in itertools.pairwise(bounds):
        if lo == hi:
            continue
        part = frame.iloc[lo:hi].reset_index(drop=True)
        outcome: StreamOutcome = check.process(state, part, offsets[lo:hi], times[lo:hi])
        assert outcome.halt is None
        dead += [(lo + d.position, d.reason, d.rule, d.message) for d in outcome.dead]
        results += [r.to_dict() for r in outcome.results]
        changelog += outcome.changelog
    return dead, results, state, changelog


@settings(max_examples=60, deadline=None)
@given(rows=rows_strategy, data=st.data())
def test_batch_boundaries_never_change_anything(rows: list[dict[str, Any]], data: Any) -> None:
    frame, times = frame_of(rows)
    cuts = data.draw(st.lists(st.integers(0, len(rows)), max_size=8))
    one = run(checker(), frame, times, [])
    many = run(checker(), frame, times, cuts)
    assert many[0] == one[0]
    assert many[1] == one[1]
    assert many[2].windows.keys() == one[2].windows.keys()
    assert live_keys(many[2]) == live_keys(one[2])
    assert many[2].history == one[2].history
    assert (many[2].watermark, many[2].offset) == (one[2].watermark, one[2].offset)


def live_keys(state: QualityState) -> dict[str, dict[str, tuple[int, int]]]:
    """Keys still within the span (expired ones may linger for restarts, batch-dependent)."""
    wm = state.watermark if state.watermark is not None else 0
    return {
        rule: {k: (v.wm, v.offset) for k, v in keys.items() if v.wm + SPAN > wm}
        for rule, keys in state.seen.items()
    }


def reference_windows(times: np.ndarray) -> dict[int, list[int]]:
    """Record by record: which rows count in which window (late rows count nowhere)."""
    watermark = -np.inf
    windows: dict[int, list[int]] = {}
    for i, ts in enumerate(times):
        start = int(ts // PER * PER)
        if watermark < start + PER + GRACE:
            windows.setdefault(start, []).append(i)
        watermark = max(watermark, ts)
    return windows


@settings(max_examples=40, deadline=None)
@given(rows=rows_strategy)
def test_window_verdicts_equal_an_offline_run_over_the_window_rows(
    rows: list[dict[str, Any]],
) -> None:
    frame, times = frame_of(rows)
    rules = table()
    _, results, _, _ = run(checker(rules), frame, times, [])
    expected = reference_windows(times)
    watermark = times.max()
    closed = sorted(s for s in expected if s + PER + GRACE <= watermark)
    assert sorted({r["window_start"] for r in results}) == closed
    history: list[float] = []
    for start in closed:
        picked = frame.iloc[expected[start]].reset_index(drop=True)
        offline = evaluate_dataset(
            picked, rules, now=NOW, history={"anomaly.row_count": history[-5:]}
        )
        mine = [r for r in results if r["window_start"] == start]
        assert [r["rule"] for r in mine] == [r.rule for r in offline]
        for got, want in zip(mine, offline, strict=True):
            if want.type == "uniqueness":  # in a stream: repeats within the span, per window
                continue
            want_dict = want.to_dict()
            for field in ("passed", "observed", "failing", "rows", "details"):
                assert got[field] == want_dict[field], (start, want.rule, field)
            assert got["window_end"] == start + PER
        history.append(float(len(expected[start])))


def test_dead_letters_quote_the_value_and_name_the_rule() -> None:
    frame, times = frame_of(
        [
            {"user": "a", "amount": 5, "eid": 1, "note": "n", "dt": 0},
            {"user": None, "amount": 5, "eid": 2, "note": "n", "dt": 0},
            {"user": "a", "amount": 500, "eid": 3, "note": "n", "dt": 0},
            {"user": "a", "amount": 13, "eid": 4, "note": "n", "dt": 0},  # warn: passes
            {"user": "a", "amount": 6, "eid": 1, "note": "n", "dt": 0},  # duplicate of row 0
            {"user": "a", "amount": -7, "eid": 1, "note": "n", "dt": 0},  # rule first
        ]
    )
    dead, _, _, _ = run(checker(), frame, times, [])
    assert dead == [
        (1, "schema", "schema.user", "user is null or missing (nullable: false)"),
        (2, "rule", "range.amount", "amount=500 is above the maximum 100"),
        (4, "duplicate", "uniqueness.eid", "duplicate eid=1 within 3s"),
        (5, "rule", "range.amount", "amount=-7 is below the minimum 0"),
    ]


def test_keys_are_remembered_for_the_span_of_watermark() -> None:
    rules = table(schema=[], checks=[{"type": "uniqueness", "columns": ["user", "eid"]}])
    frame = pd.DataFrame({"user": ["a", "a", "b", "a", "a", "a"], "eid": [1, 1, 1, 1, 1, 1]})
    # first seen at watermark 1000; remembered while the watermark is below 4000
    times = np.array([1000, 3999, 3999, 4000, 4100, 7000], dtype=np.float64)
    dead, _, state, _ = run(checker(rules), frame, times, [])
    assert [(d[0], d[1], d[3]) for d in dead] == [
        (1, "duplicate", "duplicate user='a', eid=1 within 3s"),
        (4, "duplicate", "duplicate user='a', eid=1 within 3s"),
    ]
    # row 3 registered the key again at 4000; row 5 (7000) saw it expire and registered it
    assert live_keys(state) == {"uniqueness.user+eid": {"a\x1f1": (7000, 5)}}
    for cuts in ([1], [2, 3], [3, 4, 5], [1, 2, 3, 4, 5]):
        assert run(checker(rules), frame, times, cuts)[0] == dead


def test_a_restart_restores_state_and_never_counts_a_record_twice() -> None:
    rows = [
        {"user": "a", "amount": i % 120, "eid": i % 9, "note": None if i % 3 else "n", "dt": 0}
        for i in range(40)
    ]
    frame, times = frame_of(rows)
    whole_dead, whole_results, _, _ = run(checker(), frame, times, [])
    offsets = np.arange(len(frame), dtype=np.int64)

    def batch(check: StreamChecker, state: QualityState, lo: int, hi: int) -> StreamOutcome:
        part = frame.iloc[lo:hi].reset_index(drop=True)
        return check.process(state, part, offsets[lo:hi], times[lo:hi])

    # The first worker processes rows 0..9 and 10..24, delivers their outputs and writes
    # both changelogs (outputs first), then dies before committing offset 25: its
    # successor re-reads from offset 10.
    first = checker()
    state = first.new_state()
    kept = batch(first, state, 0, 10)
    lost = batch(first, state, 10, 25)
    log = kept.changelog + lost.changelog
    second = checker()
    restored = QualityState.from_changelog(second.checker.plan, log)
    assert (restored.watermark, restored.offset) == (state.watermark, 24)
    assert restored.seen == state.seen and restored.history == state.history
    assert restored.windows.keys() == state.windows.keys()
    again = [batch(second, restored, 10, 30), batch(second, restored, 30, 40)]
    dead = [(d.position, d.reason, d.rule, d.message) for d in kept.dead]
    dead += [(10 + d.position, d.reason, d.rule, d.message) for d in again[0].dead]
    dead += [(30 + d.position, d.reason, d.rule, d.message) for d in again[1].dead]
    assert dead == whole_dead  # re-read records are judged as before, never their own duplicate
    emitted = [r.to_dict() for out in (kept, lost, *again) for r in out.results]
    assert emitted == whole_results  # no window counted a re-read record twice


@settings(max_examples=80, deadline=None)
@given(rows=rows_strategy, data=st.data())
def test_a_restart_from_any_commit_changes_no_verdict(
    rows: list[dict[str, Any]], data: Any
) -> None:
    """A worker dies after writing the changelog of some batches but before committing
    them; its successor restores the changelog and re-reads from the last commit, in
    batches of its own: dead letters and window verdicts equal an uninterrupted run's."""
    frame, times = frame_of(rows)
    n = len(rows)
    whole_dead, whole_results, _, _ = run(checker(), frame, times, [])
    offsets = np.arange(n, dtype=np.int64)
    cuts = data.draw(st.lists(st.integers(1, max(1, n - 1)), max_size=6))
    bounds = [0, *sorted({c for c in cuts if 0 < c < n}), n]
    done = data.draw(st.integers(1, len(bounds) - 1))  # batches processed by the first
    committed = bounds[data.draw(st.integers(0, done - 1))]  # the successor starts here

    def batches(check: StreamChecker, state: QualityState, edges: list[int]) -> list[Any]:
        outs = []
        for lo, hi in itertools.pairwise(edges):
            part = frame.iloc[lo:hi].reset_index(drop=True)
            outs.append((lo, check.process(state, part, offsets[lo:hi], times[lo:hi])))
        return outs

    first = checker()
    before = batches(first, first.new_state(), bounds[: done + 1])
    log = [entry for _, out in before for entry in out.changelog]
    second = checker()
    restored = QualityState.from_changelog(second.checker.plan, log)
    again = data.draw(st.lists(st.integers(0, n), max_size=5))
    edges = [committed, *sorted({c for c in again if committed < c < n}), n]
    after = batches(second, restored, edges)
    dead = [
        (lo + d.position, d.reason, d.rule, d.message)
        for lo, out in before
        for d in out.dead
        if lo + d.position < committed
    ]
    dead += [(lo + d.position, d.reason, d.rule, d.message) for lo, out in after for d in out.dead]
    assert dead == whole_dead
    emitted = [r.to_dict() for _, out in before + after for r in out.results]
    assert emitted == whole_results


def test_halt_leaves_state_untouched() -> None:
    rules = table(on_error="halt")
    frame, times = frame_of(
        [
            {"user": "a", "amount": 5, "eid": 1, "note": "n", "dt": 0},
            {"user": "a", "amount": 500, "eid": 2, "note": "n", "dt": 0},
        ]
    )
    check = checker(rules)
    state = check.new_state()
    out = check.process(state, frame, np.arange(2, dtype=np.int64), times)
    assert out.halt is not None
    assert (out.halt.rule, out.halt.position, out.halt.message) == (
        "range.amount",
        1,
        "amount=500 is above the maximum 100",
    )
    assert (out.dead, out.results, out.changelog) == ([], [], [])
    assert (state.watermark, state.offset, state.windows, state.seen) == (None, -1, {}, {})
    # a warn-only failure never halts
    warn_range = {"type": "range", "column": "amount", "max": 10, "severity": "warn"}
    warn = checker(table(on_error="halt", schema=[], checks=[warn_range]))
    warn_state = warn.new_state()
    assert warn.process(warn_state, frame, np.arange(2, dtype=np.int64), times).halt is None
    assert warn_state.offset == 1


def test_uniqueness_in_a_stream_needs_a_span() -> None:
    rules = table(dedup_span=None)
    try:
        StreamChecker(rules)
    except Exception as exc:
        assert type(exc).__name__ == "ConfigError"
        assert str(exc) == (
            "uniqueness in a stream needs dedup_span (how long a key is remembered), "
            "e.g. dedup_span: 1h"
        )
    else:
        raise AssertionError("expected a ConfigError")
