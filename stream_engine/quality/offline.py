"""One offline validation run: read a dataset, pick its rules, check it, keep the history.

The CLI (`stream-engine validate`) is a thin layer over `run_validation`; the reports
(text, JSON, HTML) render the `ValidationRun` it returns.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stream_engine.errors import ConfigError
from stream_engine.quality.engine import evaluate_dataset
from stream_engine.quality.history import HistoryStore, Point, RunRecord
from stream_engine.quality.loader import load_rules
from stream_engine.quality.results import MAX_SAMPLES, CheckResult, DatasetSummary, summarize
from stream_engine.quality.rules import AnomalyCheck, RulesFile, TableRules
from stream_engine.quality.sources import Dataset, open_source
from stream_engine.quality.sources.references import load_references
from stream_engine.settings import Settings

DECODE_RULE = "decode"
"""The rule id under which undecodable messages of a topic range are reported."""


@dataclass(frozen=True)
class ValidationRun:
    """Everything a report shows: the verdicts, where the data came from, the history."""

    summary: DatasetSummary
    source: str
    source_label: str
    rules_path: str
    run_at_ms: int
    origins: list[str] | None = None
    """Row position -> where the row came from (`partition:offset`), for topic ranges."""
    history_path: Path | None = None
    run_id: int | None = None
    trends: dict[str, list[Point]] = field(default_factory=dict)
    """Rule id -> its observed values over the table's runs, oldest first, this run included."""
    score_trend: list[Point] = field(default_factory=list)
    rows_trend: list[Point] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    """Columns the rules name that the data lacks: they count as null (a typo, usually)."""

    @property
    def failed(self) -> bool:
        """True when a check of severity `error` fails (the --fail-on-error verdict)."""
        return self.summary.failed_errors > 0

    def origin(self, row: int) -> str | None:
        if self.origins is None or not 0 <= row < len(self.origins):
            return None
        return self.origins[row]


def choose_table(rules: RulesFile, table: str | None, dataset_name: str, rules_path: str) -> str:
    """--table, else the only table, else the one named like the dataset."""
    if table is not None:
        if table not in rules.tables:
            raise ConfigError(
                f"{rules_path}: no table {table!r} (tables: {', '.join(rules.tables)})"
            )
        return table
    if len(rules.tables) == 1:
        return next(iter(rules.tables))
    if dataset_name in rules.tables:
        return dataset_name
    raise ConfigError(
        f"{rules_path} has several tables ({', '.join(rules.tables)}) and none is named "
        f"{dataset_name!r}: choose one with --table"
    )


def run_validation(
    source: str,
    rules_path: Path,
    *,
    settings: Settings,
    table: str | None = None,
    history: Path | None = None,
    now: float | None = None,
) -> ValidationRun:
    """Validate SOURCE against the rules; with `history`, read and append the run there."""
    rules = load_rules(rules_path)
    started = time.time() if now is None else now
    dataset = open_source(source, table=table, settings=settings)
    name = choose_table(rules, table, dataset.name, str(rules_path))
    table_rules = rules.tables[name]
    references = load_references(table_rules, dataset.frame, rules_path.absolute().parent, settings)
    store = None if history is None else HistoryStore(history)
    earlier = _anomaly_history(store, name, table_rules)
    results = evaluate_dataset(
        dataset.frame, table_rules, history=earlier, now=started, references=references
    )
    if dataset.problem_count:
        results.append(_decode_result(dataset))
    summary = summarize(name, len(dataset.frame), results)
    run_at_ms = int(started * 1000)
    missing = missing_columns(table_rules, dataset.frame.columns)
    run = ValidationRun(
        summary, source, dataset.label, str(rules_path), run_at_ms, dataset.origins,
        missing_columns=missing,
    )  # fmt: skip
    if store is None:
        return run
    run_id = store.append(_record(run))
    trends = {m: store.series(name, m) for m in metric_names(summary)}
    return ValidationRun(
        summary, source, dataset.label, str(rules_path), run_at_ms, dataset.origins,
        history, run_id, trends, store.run_series(name, "score"), store.run_series(name, "rows"),
        missing,
    )  # fmt: skip


def missing_columns(table: TableRules, present: Iterable[object]) -> list[str]:
    """Columns named by a schema entry or check that the dataset does not have."""
    named = [entry.column for entry in table.schema_]
    for check in table.checks:
        named.extend(check.columns)
    have = {str(c) for c in present}
    return sorted({c for c in named if c not in have})


def _anomaly_history(
    store: HistoryStore | None, table: str, rules: TableRules
) -> dict[str, list[float]]:
    """Rule id -> the metric's values in earlier runs, oldest first (at most `history`)."""
    if store is None:
        return {}
    out: dict[str, list[float]] = {}
    for check in rules.checks:
        if isinstance(check, AnomalyCheck):
            points = store.series(table, check.rule_id, limit=check.history)
            out[check.rule_id] = [p.value for p in points if p.value is not None]
    return out


def metric_names(summary: DatasetSummary) -> list[str]:
    """The rules whose observed value a run records (those with a number)."""
    return [r.rule for r in summary.results if _number(r.observed)]


def _record(run: ValidationRun) -> RunRecord:
    summary = run.summary
    metrics: dict[str, float | None] = {}
    for result in summary.results:
        if _number(result.observed):
            metrics[result.rule] = float(result.observed)
    return RunRecord(
        summary.table, run.source_label, run.run_at_ms, summary.rows, summary.score,
        summary.checks, summary.failed_errors, summary.failed_warnings, metrics,
    )  # fmt: skip


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _decode_result(dataset: Dataset) -> CheckResult:
    failing = dataset.problem_count
    total = len(dataset.frame) + failing
    return CheckResult(
        rule=DECODE_RULE,
        type="decode",
        severity="error",
        passed=False,
        observed=(total - failing) / total if total else 1.0,
        expected="every message decodes",
        failing=failing,
        rows=total,
        samples=tuple(dataset.problems[:MAX_SAMPLES]),
        message=f"{failing} of {total} messages cannot be decoded; they are not in the checks",
    )
