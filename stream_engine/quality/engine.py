"""Run a table's rules over a frame: per-row failures (record level) and verdicts.

``TableChecker`` compiles a table's rules once (expressions, statistics plan) and runs
them over frames, each check one vectorized pass. ``evaluate_records`` says which rows
fail which rule and why (a stream dead-letters them); ``evaluate_dataset`` gives one
CheckResult per rule over the whole frame (offline validation).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from stream_engine.errors import ConfigError
from stream_engine.expr import Expression, parse
from stream_engine.quality.checks import aggregate
from stream_engine.quality.checks.problems import Problem, describe_rows, first_problems
from stream_engine.quality.checks.record import (
    Reference,
    expression_problems,
    range_problems,
    referential_problems,
)
from stream_engine.quality.checks.schema import schema_problems
from stream_engine.quality.checks.stats import TableStats
from stream_engine.quality.checks.uniqueness import duplicate_rows, key_of
from stream_engine.quality.checks.values import column, quote
from stream_engine.quality.results import MAX_SAMPLES, CheckResult, Severity, share_result
from stream_engine.quality.rules import (
    AggregateCheck,
    AnomalyCheck,
    DistributionCheck,
    ExpressionCheck,
    FreshnessCheck,
    NullRateCheck,
    RangeCheck,
    ReferentialIntegrityCheck,
    RowCountCheck,
    TableRules,
    UniquenessCheck,
)
from stream_engine.quality.schema_rules import ColumnSchema

Reason = Literal["schema", "rule"]
References = Mapping[str, Reference]  # rule id -> allowed values

# Frames at least this long check uniqueness in a thread beside the record checks.
PARALLEL_ROWS = 100_000


@dataclass(frozen=True)
class RecordFailures:
    """Which rows of a frame fail one record-level rule, and the words for each."""

    rule: str
    type: str  # "schema" or the check type
    reason: Reason  # the dead-letter reason: schema for schema entries, rule for checks
    severity: Severity
    columns: tuple[str, ...]
    mostly: float
    rows: int
    failing: np.ndarray  # bool mask over the frame's rows
    problems: tuple[Problem, ...]

    @property
    def count(self) -> int:
        return int(self.failing.sum())

    def messages(self, positions: Sequence[int] | None = None) -> dict[int, str]:
        """Row position -> one line quoting the failing value (default: every failing row)."""
        return describe_rows(self.problems, self.rows, positions)

    def result(self, frame: pd.DataFrame | None = None) -> CheckResult:
        """The verdict: passes when the share of passing rows is at least ``mostly``."""
        first = np.flatnonzero(self.failing)[:MAX_SAMPLES].tolist()
        words = self.messages(first)
        samples = tuple(
            {"row": pos, "values": _row_values(frame, self.columns, pos), "message": words[pos]}
            for pos in first
        )
        return share_result(
            self.rule,
            self.type,
            self.severity,
            self.columns,
            self.mostly,
            self.rows,
            self.count,
            samples,
        )


def _row_values(frame: pd.DataFrame | None, columns: tuple[str, ...], pos: int) -> dict[str, Any]:
    if frame is None:
        return {}
    return {c: column(frame, c).iloc[pos] for c in columns}


def _compile(check: ExpressionCheck) -> Expression:
    return parse(check.expr)  # validated when the rules were loaded


class TableChecker:
    """A table's rules, compiled once, run over any number of frames."""

    def __init__(self, table: TableRules, references: References | None = None) -> None:
        self.table = table
        self.references = dict(references or {})
        self.expressions = {
            c.rule_id: _compile(c) for c in table.checks if isinstance(c, ExpressionCheck)
        }
        for check in table.checks:
            if (
                isinstance(check, ReferentialIntegrityCheck)
                and check.rule_id not in self.references
            ):
                raise ConfigError(
                    f"rule {check.rule_id}: the reference values of this referential_integrity "
                    "check were not loaded"
                )
        self.plan = aggregate.stats_plan(table.aggregate_checks)

    def record_failures(self, frame: pd.DataFrame) -> list[RecordFailures]:
        """Per record-level rule (schema entries first, then checks in file order)."""
        rows = len(frame)
        out = [self._schema(frame, entry) for entry in self.table.schema_]
        for check in self.table.record_checks:
            if isinstance(check, RangeCheck):
                problems = range_problems(frame, check)
            elif isinstance(check, ExpressionCheck):
                problems = expression_problems(frame, self.expressions[check.rule_id])
            else:
                problems = referential_problems(frame, check, self.references[check.rule_id])
            failing, _ = first_problems(problems, rows)
            out.append(
                RecordFailures(
                    check.rule_id,
                    check.type,
                    "rule",
                    check.severity,
                    check.columns,
                    check.mostly,
                    rows,
                    failing,
                    tuple(problems),
                )
            )
        return out

    def _schema(self, frame: pd.DataFrame, entry: ColumnSchema) -> RecordFailures:
        problems = schema_problems(column(frame, entry.column), entry)
        failing, _ = first_problems(problems, len(frame))
        return RecordFailures(
            entry.rule_id,
            "schema",
            "schema",
            entry.severity,
            (entry.column,),
            entry.mostly,
            len(frame),
            failing,
            tuple(problems),
        )

    def uniqueness(self, frame: pd.DataFrame, check: UniquenessCheck) -> CheckResult:
        repeated = duplicate_rows(frame, check.columns)
        rows = len(frame)
        failing = int(repeated.sum())
        samples: list[Any] = []
        seen: set[str] = set()
        for pos in np.flatnonzero(repeated).tolist():
            key = key_of(frame, check.columns, pos)
            text = quote(key)
            if text not in seen:
                seen.add(text)
                samples.append(key)
            if len(samples) == MAX_SAMPLES:
                break
        return share_result(
            check.rule_id,
            check.type,
            check.severity,
            check.columns,
            check.mostly,
            rows,
            failing,
            tuple(samples),
            details={"duplicates": failing},
            message=f"{failing} duplicate rows" if failing else "",
        )

    def stats(self, frame: pd.DataFrame) -> TableStats:
        stats = TableStats(self.plan)
        stats.add(frame)
        return stats

    def aggregate_results(
        self, stats: TableStats, *, history: Mapping[str, Sequence[float]], now_ms: float
    ) -> list[CheckResult]:
        return [
            aggregate_result(check, stats, history=history, now_ms=now_ms)
            for check in self.table.aggregate_checks
        ]


def aggregate_result(
    check: AggregateCheck,
    stats: TableStats,
    *,
    history: Mapping[str, Sequence[float]],
    now_ms: float,
) -> CheckResult:
    if isinstance(check, NullRateCheck):
        return aggregate.null_rate(stats, check)
    if isinstance(check, RowCountCheck):
        return aggregate.row_count(stats, check)
    if isinstance(check, DistributionCheck):
        return aggregate.distribution(stats, check)
    if isinstance(check, FreshnessCheck):
        return aggregate.freshness(stats, check, now_ms)
    assert isinstance(check, AnomalyCheck)
    return aggregate.anomaly(stats, check, history.get(check.rule_id, ()))


def evaluate_records(
    frame: pd.DataFrame, table: TableRules, *, references: References | None = None
) -> list[RecordFailures]:
    """Per record-level rule, which rows fail and why (see RecordFailures.messages)."""
    return TableChecker(table, references).record_failures(frame)


def evaluate_dataset(
    frame: pd.DataFrame,
    table: TableRules,
    *,
    history: Mapping[str, Sequence[float]] | None = None,
    now: float | None = None,
    references: References | None = None,
) -> list[CheckResult]:
    """One CheckResult per rule over the whole frame, in file order (schema first).

    ``history``: earlier values of each anomaly rule's metric (rule id -> oldest first).
    ``now``: epoch seconds for freshness (default: the wall clock). ``references``:
    rule id -> allowed values of each referential_integrity rule.
    """
    checker = TableChecker(table, references)
    now_ms = (time.time() if now is None else now) * 1000
    # Uniqueness hashes every key: on a large frame it runs beside the record checks (both
    # spend their time in pandas/Arrow kernels that release the GIL). Results are the same.
    threads = max(1, min(len(table.uniqueness_checks), (os.cpu_count() or 1) - 1))
    with ThreadPoolExecutor(threads) as pool:
        unique = [
            pool.submit(checker.uniqueness, frame, check)
            for check in (table.uniqueness_checks if len(frame) >= PARALLEL_ROWS else ())
        ]
        by_rule: dict[str, CheckResult] = {
            f.rule: f.result(frame) for f in checker.record_failures(frame)
        }
        for future in unique:
            result = future.result()
            by_rule[result.rule] = result
    for check in table.uniqueness_checks:
        if check.rule_id not in by_rule:
            by_rule[check.rule_id] = checker.uniqueness(frame, check)
    stats = checker.stats(frame)
    for result in checker.aggregate_results(stats, history=history or {}, now_ms=now_ms):
        by_rule[result.rule] = result
    order = [s.rule_id for s in table.schema_] + [c.rule_id for c in table.checks]
    return [by_rule[rule] for rule in order]
