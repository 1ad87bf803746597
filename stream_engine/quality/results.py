"""What a check reports: one CheckResult per rule (per dataset or per window), and a summary.

Results are plain data with a stable ``to_dict`` form: the offline reports, the history
store and the stream's quality topic all serialize this one shape.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["warn", "error"]
MAX_SAMPLES = 5


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one rule over a dataset or one event-time window.

    ``observed`` is the check's metric (failing share, null rate, row count, age in
    seconds, mean, z-score...); ``expected`` says what would pass, in words a report can
    show. ``failing``/``rows`` count rows for record-level checks and uniqueness
    (duplicates); aggregate checks leave ``failing`` at 0 or 1 (the dataset as a whole).
    ``samples`` are up to five failing values or rows, JSON-ready.
    """

    rule: str
    type: str
    severity: Severity
    passed: bool
    observed: Any
    expected: str
    columns: tuple[str, ...] = ()
    failing: int = 0
    rows: int = 0
    mostly: float | None = None
    samples: tuple[Any, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)  # extra metrics (mean, stddev, z...)
    window_start: int | None = None  # epoch ms, in-stream per-window results only
    window_end: int | None = None
    message: str = ""  # why it failed (or why it was not judged), one line

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON form (see docs/quality.md)."""
        return {
            "rule": self.rule,
            "type": self.type,
            "columns": list(self.columns),
            "severity": self.severity,
            "passed": self.passed,
            "observed": json_value(self.observed),
            "expected": self.expected,
            "failing": self.failing,
            "rows": self.rows,
            "mostly": self.mostly,
            "samples": [json_value(s) for s in self.samples],
            "details": {k: json_value(v) for k, v in self.details.items()},
            "window_start": self.window_start,
            "window_end": self.window_end,
            "message": self.message,
        }


def share_result(
    rule: str,
    type: str,
    severity: Severity,
    columns: tuple[str, ...],
    mostly: float,
    rows: int,
    failing: int,
    samples: tuple[Any, ...] = (),
    *,
    message: str | None = None,
    details: dict[str, Any] | None = None,
    window_start: int | None = None,
    window_end: int | None = None,
) -> CheckResult:
    """A row-counting rule's verdict: it passes when the share of passing rows is at least
    ``mostly`` (an empty dataset passes). One definition for datasets and windows alike."""
    share = (rows - failing) / rows if rows else 1.0
    if message is None:
        message = f"{failing} of {rows} rows fail" if failing else ""
    return CheckResult(
        rule=rule,
        type=type,
        severity=severity,
        passed=share >= mostly,
        observed=share,
        expected=f"share of rows passing >= {mostly:g}",
        columns=columns,
        failing=failing,
        rows=rows,
        mostly=mostly,
        samples=samples,
        details=dict(details or {}),
        window_start=window_start,
        window_end=window_end,
        message=message,
    )


def json_value(value: Any) -> Any:
    """Make a value JSON-safe: numpy scalars to Python, NaN/inf to None, others to str."""
    if hasattr(value, "item") and not isinstance(value, list | tuple | dict | str | bytes):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return str(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return str(value)


@dataclass(frozen=True)
class DatasetSummary:
    """The checks of one table: how many ran, passed and failed by severity, and the score."""

    table: str
    rows: int
    results: tuple[CheckResult, ...]

    @property
    def checks(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed_errors(self) -> int:
        return sum(not r.passed and r.severity == "error" for r in self.results)

    @property
    def failed_warnings(self) -> int:
        return sum(not r.passed and r.severity == "warn" for r in self.results)

    @property
    def score(self) -> float:
        """The share of checks passing (1.0 when there are none)."""
        return quality_score(self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "checks": self.checks,
            "passed": self.passed,
            "failed_errors": self.failed_errors,
            "failed_warnings": self.failed_warnings,
            "score": self.score,
            "results": [r.to_dict() for r in self.results],
        }


def quality_score(results: Sequence[CheckResult]) -> float:
    """The share of checks passing (1.0 when there are none)."""
    if not results:
        return 1.0
    return sum(r.passed for r in results) / len(results)


def summarize(table: str, rows: int, results: Sequence[CheckResult]) -> DatasetSummary:
    return DatasetSummary(table, rows, tuple(results))
