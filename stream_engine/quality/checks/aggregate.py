"""Verdicts of the aggregate checks from TableStats: null_rate, row_count, distribution,
freshness, anomaly. Datasets and stream windows both end here, so they agree."""

from __future__ import annotations

import math
from collections.abc import Sequence

from stream_engine.quality.checks.stats import StatsPlan, TableStats
from stream_engine.quality.results import CheckResult
from stream_engine.quality.rules import (
    AggregateCheck,
    AnomalyCheck,
    DistributionCheck,
    FreshnessCheck,
    NullRateCheck,
    RowCountCheck,
)


def stats_plan(checks: Sequence[AggregateCheck]) -> StatsPlan:
    nulls: set[str] = set()
    numbers: set[str] = set()
    times: set[str] = set()
    for check in checks:
        if isinstance(check, NullRateCheck):
            nulls.add(check.column)
        elif isinstance(check, DistributionCheck):
            numbers.add(check.column)
        elif isinstance(check, FreshnessCheck):
            times.add(check.column)
        elif isinstance(check, AnomalyCheck) and check.column is not None:
            (nulls if check.metric == "null_rate" else numbers).add(check.column)
    return StatsPlan(frozenset(nulls), frozenset(numbers), frozenset(times))


def _result(check: AggregateCheck, **fields: object) -> CheckResult:
    return CheckResult(
        rule=check.rule_id,
        type=check.type,
        severity=check.severity,
        columns=check.columns,
        **fields,  # type: ignore[arg-type]
    )


def null_rate(stats: TableStats, check: NullRateCheck) -> CheckResult:
    rows = stats.rows
    nulls = stats.column(check.column).nulls
    expected = f"null rate <= {check.threshold:g}"
    if not rows:
        return _result(
            check, passed=True, observed=None, expected=expected, message="no rows to judge"
        )
    rate = nulls / rows
    passed = rate <= check.threshold
    return _result(
        check,
        passed=passed,
        observed=rate,
        expected=expected,
        failing=nulls,
        rows=rows,
        message="" if passed else f"{nulls} of {rows} values of {check.column} are null",
    )


def _bounds_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f">= {low:g}" if low is not None else f"<= {high:g}"


def row_count(stats: TableStats, check: RowCountCheck) -> CheckResult:
    rows = stats.rows
    passed = (check.min is None or rows >= check.min) and (check.max is None or rows <= check.max)
    expected = f"row count {_bounds_text(check.min, check.max)}"
    return _result(
        check,
        passed=passed,
        observed=rows,
        expected=expected,
        rows=rows,
        message="" if passed else f"{rows} rows",
    )


def _near(observed: float, expected: float, tolerance: float) -> bool:
    allowed = tolerance * abs(expected) if expected else tolerance
    return abs(observed - expected) <= allowed


def distribution(stats: TableStats, check: DistributionCheck) -> CheckResult:
    numbers = stats.column(check.column).numbers
    mean = numbers.mean if numbers else None
    stddev = numbers.stddev if numbers else None
    expected = f"mean {check.expected_mean:g}"
    if check.expected_stddev is not None:
        expected += f", stddev {check.expected_stddev:g}"
    expected += f" within {check.tolerance:.0%}"
    details = {"mean": mean, "stddev": stddev, "count": numbers.count if numbers else 0}
    if mean is None:
        return _result(
            check,
            passed=True,
            observed=None,
            expected=expected,
            rows=stats.rows,
            details=details,
            message="no numeric values to judge",
        )
    problems = []
    if not _near(mean, check.expected_mean, check.tolerance):
        problems.append(f"mean {mean:g}")
    if check.expected_stddev is not None:
        if stddev is None:
            problems.append("stddev needs at least 2 values")
        elif not _near(stddev, check.expected_stddev, check.tolerance):
            problems.append(f"stddev {stddev:g}")
    return _result(
        check,
        passed=not problems,
        observed=mean,
        expected=expected,
        failing=int(bool(problems)),
        rows=stats.rows,
        details=details,
        message="; ".join(problems),
    )


def freshness(stats: TableStats, check: FreshnessCheck, now_ms: float) -> CheckResult:
    """Age of the newest timestamp against the wall clock ``now_ms`` (not reproducible)."""
    newest = stats.column(check.column).newest_ms
    limit = check.max_age.ms / 1000
    expected = f"newest {check.column} at most {check.max_age} old"
    if newest is None:
        return _result(
            check,
            passed=False,
            observed=None,
            expected=expected,
            rows=stats.rows,
            failing=1,
            message=f"no valid timestamps in {check.column}",
        )
    age = (now_ms - newest) / 1000
    passed = age <= limit
    return _result(
        check,
        passed=passed,
        observed=age,
        expected=expected,
        failing=int(not passed),
        rows=stats.rows,
        details={"newest_ms": newest, "now_ms": now_ms},
        message="" if passed else f"newest {check.column} is {age:.0f}s old",
    )


def anomaly_metric(stats: TableStats, check: AnomalyCheck) -> float | None:
    """The value the anomaly check watches (None when it is undefined, e.g. no values)."""
    if check.metric == "row_count":
        return float(stats.rows)
    col = stats.column(check.column or "")
    if check.metric == "null_rate":
        return col.nulls / stats.rows if stats.rows else None
    numbers = col.numbers
    if numbers is None:
        return None
    value = {"mean": numbers.mean, "sum": numbers.total, "min": numbers.low, "max": numbers.high}[
        check.metric
    ]
    return value


def anomaly(stats: TableStats, check: AnomalyCheck, history: Sequence[float]) -> CheckResult:
    """z-score of this value against the last ``check.history`` earlier values."""
    value = anomaly_metric(stats, check)
    earlier = [h for h in history if h is not None and math.isfinite(h)][-check.history :]
    expected = f"|z| <= {check.z_threshold:g} against the last {check.history} values"
    details: dict[str, object] = {"history": len(earlier)}
    if value is None:
        return _result(
            check,
            passed=True,
            observed=None,
            expected=expected,
            rows=stats.rows,
            details=details,
            message="metric undefined (no values)",
        )
    if len(earlier) < check.warm_up:
        return _result(
            check,
            passed=True,
            observed=value,
            expected=expected,
            rows=stats.rows,
            details=details,
            message=f"warming up ({len(earlier)} of {check.warm_up} values)",
        )
    n = len(earlier)
    mean = math.fsum(earlier) / n
    stddev = math.sqrt(math.fsum((h - mean) ** 2 for h in earlier) / (n - 1))
    # A constant history (up to rounding) makes any change infinitely far.
    constant = stddev <= 1e-12 * max(1.0, abs(mean))
    if constant:
        z = 0.0 if math.isclose(value, mean, rel_tol=1e-12, abs_tol=1e-12) else math.inf
    else:
        z = (value - mean) / stddev
    passed = abs(z) <= check.z_threshold
    details.update({"z": z, "mean": mean, "stddev": stddev})
    return _result(
        check,
        passed=passed,
        observed=value,
        expected=expected,
        failing=int(not passed),
        rows=stats.rows,
        details=details,
        message="" if passed else f"{check.metric} {value:g} is {z:+.2f} stddev from {mean:g}",
    )
