"""Quality in a stream: one partition's micro-batch through a table's rules.

Record-level rules decide every row (error severity: dead letter; warn: counted only);
uniqueness de-duplicates over ``dedup_span``; every rule is also tallied per event-time
window of ``per``, and a window's verdicts are emitted when the partition's watermark
passes its end plus ``grace``. Lateness is judged row by row against the watermark
before the row, exactly as windows do, so verdicts never depend on batch boundaries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from stream_engine.errors import ConfigError
from stream_engine.quality.checks.values import column, quote
from stream_engine.quality.dedup import find_duplicates, key_strings
from stream_engine.quality.engine import (
    RecordFailures,
    References,
    TableChecker,
    aggregate_result,
)
from stream_engine.quality.results import MAX_SAMPLES, CheckResult, Severity, share_result
from stream_engine.quality.rules import AnomalyCheck, TableRules, UniquenessCheck
from stream_engine.quality.stream_state import Entry, QualityState, WindowTally
from stream_engine.spec.durations import format_duration

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class DeadRow:
    position: int
    reason: str  # schema, rule or duplicate
    rule: str
    message: str


@dataclass(frozen=True)
class Halt:
    """An error-severity failure under ``on_error: halt``: the batch must not commit."""

    rule: str
    position: int
    message: str


@dataclass
class StreamOutcome:
    dead: list[DeadRow] = field(default_factory=list)
    results: list[CheckResult] = field(default_factory=list)  # of windows closed now
    changelog: list[Entry] = field(default_factory=list)
    halt: Halt | None = None


class StreamChecker:
    """A table's rules applied to a stream, one partition batch at a time."""

    def __init__(
        self,
        table: TableRules,
        references: References | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.table = table
        self.checker = TableChecker(table, references)
        self.per_ms = table.per.ms
        self.grace_ms = table.grace.ms
        self.span_ms = table.dedup_span.ms if table.dedup_span else 0
        if table.uniqueness_checks and not self.span_ms:
            raise ConfigError(
                "uniqueness in a stream needs dedup_span (how long a key is remembered), "
                "e.g. dedup_span: 1h"
            )
        self.clock = clock  # wall clock for freshness only

    def new_state(self) -> QualityState:
        return QualityState(self.checker.plan)

    def process(
        self, state: QualityState, frame: pd.DataFrame, offsets: Ints, times: Floats
    ) -> StreamOutcome:
        """Check one partition's rows (in offset order); ``times`` is NaN where unusable."""
        outcome = StreamOutcome()
        failures = self.checker.record_failures(frame)
        alive = np.ones(len(frame), dtype=bool)
        for failure in failures:
            if failure.severity != "error":
                continue
            fresh = failure.failing & alive
            if not fresh.any():
                continue
            if self.table.on_error == "halt":
                pos = int(np.flatnonzero(fresh)[0])
                outcome.halt = Halt(failure.rule, pos, failure.messages([pos])[pos])
                return outcome  # nothing changed in state: the batch is read again
            for pos, message in failure.messages(np.flatnonzero(fresh).tolist()).items():
                outcome.dead.append(DeadRow(pos, failure.reason, failure.rule, message))
            alive &= ~fresh
        new = offsets > state.offset
        valid = ~np.isnan(times)
        stamps = np.where(valid, times, -np.inf)
        start = -np.inf if state.watermark is None else float(state.watermark)
        if new.any():
            state.note_batch_start(int(offsets[new][0]))
        after = _running_max(start, np.where(new, stamps, -np.inf))
        before = np.concatenate(([start], after[:-1]))  # the watermark before each new row
        if not new.all():
            # Records re-read after a restart see the watermark they saw the first time
            # (known when the re-read starts where a batch started, as after a commit).
            replayed = state.batch_start_watermark(int(offsets[0]))
            first = -np.inf if replayed is None else float(replayed)
            after = np.where(new, after, _running_max(first, np.where(new, -np.inf, stamps)))
            if not new[-1]:  # the re-read goes on in the next batch: it starts from here
                last = after[-1]
                state.batch_starts.setdefault(
                    int(offsets[-1]) + 1, int(last) if np.isfinite(last) else None
                )
        duplicates = self._deduplicate(state, frame, alive, after, offsets, outcome)
        self._tally(state, frame, failures, duplicates, new & valid, before, times)
        if new.any() and np.isfinite(after[new][-1]):
            state.watermark = int(after[new][-1])
        if new.any():
            state.offset = int(offsets[new].max())
        outcome.results = self._close(state)
        for check in self.table.uniqueness_checks:
            state.expire(check.rule_id, self.span_ms)
        outcome.dead.sort(key=lambda d: d.position)
        outcome.changelog = state.drain_changes()
        return outcome

    def _deduplicate(
        self,
        state: QualityState,
        frame: pd.DataFrame,
        alive: npt.NDArray[np.bool_],
        watermarks: Floats,
        offsets: Ints,
        outcome: StreamOutcome,
    ) -> dict[str, npt.NDArray[np.bool_]]:
        found: dict[str, npt.NDArray[np.bool_]] = {}
        wm = np.where(np.isfinite(watermarks), watermarks, np.iinfo(np.int64).min // 2)
        wm_int = wm.astype(np.int64)
        for check in self.table.uniqueness_checks:
            keys, has_null = key_strings(frame, check.columns)
            dup = find_duplicates(
                state, check.rule_id, self.span_ms, keys, alive & ~has_null, wm_int, offsets
            )
            found[check.rule_id] = dup
            if check.severity == "error" and dup.any():
                for pos in np.flatnonzero(dup).tolist():
                    key = _describe_key(frame, check, pos)
                    message = f"duplicate {key} within {format_duration(self.span_ms)}"
                    outcome.dead.append(DeadRow(pos, "duplicate", check.rule_id, message))
                alive &= ~dup
        return found

    def _tally(
        self,
        state: QualityState,
        frame: pd.DataFrame,
        failures: list[RecordFailures],
        duplicates: dict[str, npt.NDArray[np.bool_]],
        counted: npt.NDArray[np.bool_],
        before: Floats,
        times: Floats,
    ) -> None:
        """Add the rows to their windows, skipping rows late for an already closed window."""
        rows = np.flatnonzero(counted)
        if not len(rows):
            return
        starts = (times[rows] // self.per_ms * self.per_ms).astype(np.int64)
        on_time = before[rows] < starts + self.per_ms + self.grace_ms
        rows, starts = rows[on_time], starts[on_time]
        for start in np.unique(starts).tolist():
            picked = rows[starts == start]
            tally = state.window(int(start))
            tally.stats.add(frame.iloc[picked])
            for failure in failures:
                mask = failure.failing[picked]
                _count(tally, failure.rule, int(mask.sum()))
                if mask.any() and len(tally.samples.get(failure.rule, ())) < MAX_SAMPLES:
                    wanted = picked[mask][:MAX_SAMPLES].tolist()
                    _sample(tally, failure.rule, list(failure.messages(wanted).values()))
            for rule, dup in duplicates.items():
                mask = dup[picked]
                _count(tally, rule, int(mask.sum()))
                if mask.any():
                    check = next(c for c in self.table.uniqueness_checks if c.rule_id == rule)
                    words = [_describe_key(frame, check, p) for p in picked[mask][:MAX_SAMPLES]]
                    _sample(tally, rule, words)

    def _close(self, state: QualityState) -> list[CheckResult]:
        if state.watermark is None:
            return []
        horizon = state.watermark - self.per_ms - self.grace_ms
        results: list[CheckResult] = []
        for start in sorted(s for s in state.windows if s <= horizon):
            results.extend(self.window_results(state, state.close(start)))
        return results

    def window_results(self, state: QualityState, tally: WindowTally) -> list[CheckResult]:
        """Every rule's verdict over one closed window, in file order (schema first)."""
        window = {"window_start": tally.start, "window_end": tally.start + self.per_ms}
        rows = tally.stats.rows
        table = self.table
        counted: list[tuple[str, str, tuple[str, ...], Severity, float]] = [
            (s.rule_id, "schema", (s.column,), s.severity, s.mostly) for s in table.schema_
        ]
        counted += [
            (check.rule_id, check.type, check.columns, check.severity, check.mostly)
            for check in [*table.record_checks, *table.uniqueness_checks]
        ]
        by_rule: dict[str, CheckResult] = {}
        for rule, kind, columns, severity, mostly in counted:
            by_rule[rule] = share_result(
                rule,
                kind,
                severity,
                columns,
                mostly,
                rows,
                tally.failing.get(rule, 0),
                tuple(tally.samples.get(rule, ())),
                window_start=window["window_start"],
                window_end=window["window_end"],
            )
        now_ms = self.clock() * 1000
        for check in table.aggregate_checks:
            result = aggregate_result(check, tally.stats, history=state.history, now_ms=now_ms)
            if isinstance(check, AnomalyCheck) and result.observed is not None:
                state.record_history(check.rule_id, float(result.observed), check.history)
            by_rule[check.rule_id] = _in_window(result, window)
        order = [s.rule_id for s in table.schema_] + [c.rule_id for c in table.checks]
        return [by_rule[r] for r in order]


def _running_max(start: float, values: Floats) -> Floats:
    """The running maximum of ``start`` and then each value (one entry per value)."""
    return np.maximum.accumulate(np.concatenate(([start], values)))[1:]


def _describe_key(frame: pd.DataFrame, check: UniquenessCheck, pos: int) -> str:
    return ", ".join(f"{c}={quote(column(frame, c).iloc[pos])}" for c in check.columns)


def _count(tally: WindowTally, rule: str, n: int) -> None:
    if n:
        tally.failing[rule] = tally.failing.get(rule, 0) + n


def _sample(tally: WindowTally, rule: str, messages: list[str]) -> None:
    samples = tally.samples.setdefault(rule, [])
    samples.extend(messages[: MAX_SAMPLES - len(samples)])


def _in_window(result: CheckResult, window: dict[str, int]) -> CheckResult:
    return replace(result, **window)  # type: ignore[arg-type]
