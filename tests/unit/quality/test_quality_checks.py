"""Each check type over crafted frames, with the exact observed values worked out by hand."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import statistics
from typing import Any

import numpy as np
import pandas as pd
import pytest

from stream_engine.errors import ConfigError
from stream_engine.quality import CheckResult, evaluate_dataset, evaluate_records, parse_rules
from stream_engine.quality.results import quality_score, summarize
from stream_engine.quality.rules import TableRules


def rules(
    checks: list[dict[str, Any]] | None = None, schema: list[Any] | None = None
) -> TableRules:
    body: dict[str, Any] = {"checks": checks or []}
    if schema:
        body["schema"] = schema
    return parse_rules({"tables": {"t": body}}, "r").table("t")


def only(frame: pd.DataFrame, check: dict[str, Any], **kwargs: Any) -> CheckResult:
    (result,) = evaluate_dataset(frame, rules([check]), **kwargs)
    return result


def failures(frame: pd.DataFrame, table: TableRules, **kwargs: Any) -> dict[str, dict[int, str]]:
    return {f.rule: f.messages() for f in evaluate_records(frame, table, **kwargs)}


def test_range_counts_failures_quotes_values_and_skips_nulls() -> None:
    frame = pd.DataFrame({"d": [5, -1, None, 101, "x", True, 100]}, dtype=object)
    result = only(frame, {"type": "range", "column": "d", "min": 0, "max": 100})
    assert (result.passed, result.failing, result.rows) == (False, 4, 7)
    assert result.observed == pytest.approx(3 / 7)
    assert [s["message"] for s in result.samples] == [
        "d=-1 is below the minimum 0",
        "d=101 is above the maximum 100",
        "d='x' is not a number",
        "d=true is not a number",
    ]
    assert [s["row"] for s in result.samples] == [1, 3, 4, 5]


def test_range_on_a_typed_column_and_mostly() -> None:
    frame = pd.DataFrame({"d": np.array([0.5, 1.5, 2.5, np.nan])})
    result = only(frame, {"type": "range", "column": "d", "max": 2, "mostly": 0.75})
    assert (result.failing, result.observed, result.passed) == (1, 0.75, True)
    result = only(frame, {"type": "range", "column": "d", "max": 2, "mostly": 0.76})
    assert result.passed is False


def test_mostly_never_changes_which_records_fail() -> None:
    frame = pd.DataFrame({"d": [1, 2, 3, 4]})
    strict = rules([{"type": "range", "column": "d", "max": 2}])
    lenient = rules([{"type": "range", "column": "d", "max": 2, "mostly": 0.1}])
    assert (
        failures(frame, strict)
        == failures(frame, lenient)
        == {"range.d": {2: "d=3 is above the maximum 2", 3: "d=4 is above the maximum 2"}}
    )


def test_schema_reports_the_first_problem_of_each_row() -> None:
    frame = pd.DataFrame(
        {"user_id": ["u1", None, "bad", 7, "u22222", "u3"], "other": [1, 2, 3, 4, 5, 6]}
    )
    table = rules(
        schema=[
            {
                "column": "user_id",
                "type": "string",
                "nullable": False,
                "regex": "^u[0-9]+$",
                "max_length": 4,
            },
            {"column": "missing_col", "nullable": False, "id": "needs_col"},
        ]
    )
    assert failures(frame, table) == {
        "schema.user_id": {
            1: "user_id is null or missing (nullable: false)",
            2: "user_id='bad' does not match '^u[0-9]+$'",
            3: "user_id=7 is not of type string",
            4: "user_id='u22222' has a length outside [0, 4]",
        },
        "needs_col": {i: "missing_col is null or missing (nullable: false)" for i in range(6)},
    }
    reasons = {f.rule: f.reason for f in evaluate_records(frame, table)}
    assert reasons == {"schema.user_id": "schema", "needs_col": "schema"}


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("string", ["a", ""], [1, 1.5, True, ["a"]]),
        ("int", [1, np.int64(2), -3], [1.5, "1", True]),
        ("float", [1.5, 2, np.float32(1.0)], ["1.5", False]),
        ("bool", [True, False, np.bool_(True)], [1, "true"]),
        (
            "timestamp",
            ["2024-01-01T10:00:00Z", "2024-01-01", 1700000000, dt.datetime(2024, 1, 1)],
            ["yesterday", True, {"a": 1}],
        ),
        ("date", ["2024-02-29", dt.date(2024, 1, 1)], ["2023-02-29", "2024-1-1", 20240101]),
        ("decimal", [decimal.Decimal("1.10"), "1.10", "-2e3", 3, 2.5], ["1,5", "abc", True]),
        ("array", [[1], (2,), []], ["[1]", {"a": 1}]),
        ("map", [{"a": 1}, {}], [[("a", 1)], "{}"]),
    ],
)
def test_types_over_python_values(kind: str, good: list[Any], bad: list[Any]) -> None:
    values = [*good, None, *bad]
    frame = pd.DataFrame({"c": pd.Series(values, dtype=object)})
    (result,) = failures(frame, rules(schema=[{"column": "c", "type": kind}])).values()
    assert sorted(result) == list(range(len(good) + 1, len(values)))
    assert all(f"is not of type {kind}" in m for m in result.values())


@pytest.mark.parametrize(
    ("series", "kind", "failing"),
    [
        (pd.Series([1, 2, 3]), "int", []),
        (pd.Series([1, 2, 3]), "float", []),
        (pd.Series([1, 2, 3]), "string", [0, 1, 2]),
        (pd.Series([1.0, 2.5, np.nan]), "int", [1]),
        (pd.Series([1.0, 2.5, np.nan]), "float", []),
        (pd.Series([True, False]), "bool", []),
        (pd.Series([True, False]), "int", [0, 1]),
        (pd.Series(["a", None], dtype="string"), "string", []),
        (pd.Series(pd.to_datetime(["2024-01-01T00:00", "2024-01-01T10:00"])), "timestamp", []),
        (pd.Series(pd.to_datetime(["2024-01-01T00:00", "2024-01-01T10:00"])), "date", [1]),
    ],
)
def test_types_over_typed_columns(series: pd.Series, kind: str, failing: list[int]) -> None:
    frame = pd.DataFrame({"c": series})
    (result,) = failures(frame, rules(schema=[{"column": "c", "type": kind}])).values()
    assert sorted(result) == failing


def test_allowed_values_and_min_length() -> None:
    frame = pd.DataFrame({"k": ["a", "b", "c", None, ["a"]]}, dtype=object)
    table = rules(schema=[{"column": "k", "allowed": ["a", "b"], "min_length": 1}])
    assert failures(frame, table) == {
        "schema.k": {2: "k='c' is not allowed ('a', 'b')", 4: "k=['a'] is not allowed ('a', 'b')"}
    }


def test_expression_fails_false_null_and_errors() -> None:
    frame = pd.DataFrame({"a": [1, -1, None, "x"], "b": [1, 1, 1, 1]}, dtype=object)
    table = rules([{"type": "expression", "expr": "a * b >= 0", "id": "nonneg"}])
    assert failures(frame, table) == {
        "nonneg": {
            1: "expression 'a * b >= 0' is false for a=-1, b=1",
            2: "expression 'a * b >= 0' is null for a=null, b=1",
            3: 'expression failed for a=\'x\', b=1: cannot apply "*" to str and int in "a * b" '
            '(expression "a * b >= 0")',
        }
    }
    result = evaluate_dataset(frame, table)[0]
    assert (result.failing, result.columns, result.type) == (3, ("a", "b"), "expression")


def test_referential_integrity_uses_the_supplied_values() -> None:
    frame = pd.DataFrame({"u": ["a", "b", None, "z"]})
    table = rules(
        [{"type": "referential_integrity", "column": "u", "reference": {"file": "u.csv"}}]
    )
    refs = {"referential_integrity.u": pd.Series(["a", "b", "c"])}
    assert failures(frame, table, references=refs) == {
        "referential_integrity.u": {3: "u='z' is not in the reference u.csv"}
    }
    with pytest.raises(ConfigError, match="reference values of this referential_integrity"):
        evaluate_dataset(frame, table)


def test_uniqueness_counts_duplicates_and_samples_keys() -> None:
    frame = pd.DataFrame({"e": [1, 2, 1, 1, None, None, 3, 2]})
    result = only(frame, {"type": "uniqueness", "column": "e"})
    assert (result.failing, result.rows, result.passed) == (3, 8, False)
    assert result.samples == (1.0, 2.0)
    assert result.details == {"duplicates": 3}
    assert result.observed == 5 / 8


def test_uniqueness_of_a_compound_key() -> None:
    frame = pd.DataFrame({"a": [1, 1, 1, 2, 1], "b": ["x", "y", "x", "x", None]})
    result = only(frame, {"type": "uniqueness", "columns": ["a", "b"]})
    assert result.failing == 1
    assert result.samples == ({"a": 1, "b": "x"},)
    assert result.columns == ("a", "b")


def test_null_rate() -> None:
    frame = pd.DataFrame({"r": ["a", None, np.nan, "b", "c"]}, dtype=object)
    result = only(frame, {"type": "null_rate", "column": "r", "threshold": 0.4})
    assert (result.observed, result.failing, result.passed) == (0.4, 2, True)
    result = only(frame, {"type": "null_rate", "column": "r", "threshold": 0.39})
    assert result.passed is False
    empty = only(frame.iloc[:0], {"type": "null_rate", "column": "r"})
    assert (empty.passed, empty.observed, empty.message) == (True, None, "no rows to judge")


def test_row_count() -> None:
    frame = pd.DataFrame({"a": range(7)})
    assert only(frame, {"type": "row_count", "min": 7, "max": 7}).passed
    result = only(frame, {"type": "row_count", "max": 6})
    assert (result.observed, result.passed, result.expected) == (7, False, "row count <= 6")


def test_distribution_mean_and_sample_stddev() -> None:
    values = [100.0, 120.0, 180.0, 200.0, None]
    frame = pd.DataFrame({"amount": values})
    present = [v for v in values if v is not None]
    mean, stddev = statistics.mean(present), statistics.stdev(present)
    check = {"type": "distribution", "column": "amount", "expected_mean": 150,
             "expected_stddev": 50, "tolerance": 0.2}  # fmt: skip
    result = only(frame, check)
    assert result.observed == mean == 150
    assert result.details["stddev"] == pytest.approx(stddev, rel=1e-12)
    assert result.details["count"] == 4
    assert result.passed  # 47.6 is within 20% of 50
    check["expected_stddev"] = 30
    result = only(frame, check)
    assert result.passed is False
    assert result.message == f"stddev {stddev:g}"


def test_freshness_against_the_given_now() -> None:
    frame = pd.DataFrame({"ts": ["2024-01-01T00:00:00Z", 1704070800000, None]}, dtype=object)
    now = dt.datetime(2024, 1, 1, 3, 0, tzinfo=dt.UTC).timestamp()  # newest is 01:00
    result = only(frame, {"type": "freshness", "column": "ts", "max_age": "2h"}, now=now)
    assert (result.observed, result.passed) == (7200.0, True)
    result = only(frame, {"type": "freshness", "column": "ts", "max_age": "1h"}, now=now)
    assert (result.observed, result.passed) == (7200.0, False)


def test_anomaly_z_score_against_history() -> None:
    frame = pd.DataFrame({"a": range(30)})
    history = [10.0, 12.0, 11.0, 13.0, 9.0]
    mean, stddev = statistics.mean(history), statistics.stdev(history)
    check = {"type": "anomaly", "metric": "row_count", "z_threshold": 3, "warm_up": 5}
    result = only(frame, check, history={"anomaly.row_count": history})
    assert result.observed == 30.0
    assert result.details["z"] == pytest.approx((30 - mean) / stddev)
    assert result.passed is False
    ok = only(frame.iloc[:12], check, history={"anomaly.row_count": history})
    assert ok.passed is True
    warming = only(frame, check, history={"anomaly.row_count": history[:4]})
    assert (warming.passed, warming.message) == (True, "warming up (4 of 5 values)")


def test_anomaly_uses_only_the_last_history_values_and_column_metrics() -> None:
    frame = pd.DataFrame({"a": [1.0, None, 3.0, None]})
    check = {"type": "anomaly", "metric": "null_rate", "column": "a", "history": 3,
             "warm_up": 3, "z_threshold": 1}  # fmt: skip
    # the old outlier 100 falls out of the window of 3 values
    result = only(frame, check, history={"anomaly.null_rate.a": [100.0, 0.5, 0.5, 0.5]})
    assert (result.observed, result.details["z"], result.passed) == (0.5, 0.0, True)
    constant = only(frame, check, history={"anomaly.null_rate.a": [0.4, 0.4, 0.4]})
    assert constant.details["z"] == math.inf and not constant.passed
    for metric, expected in [("mean", 2.0), ("sum", 4.0), ("min", 1.0), ("max", 3.0)]:
        check = {"type": "anomaly", "metric": metric, "column": "a"}
        assert only(frame, check).observed == expected


def test_results_come_in_file_order_and_score() -> None:
    frame = pd.DataFrame({"a": [1, 2, 2]})
    table = rules(
        [{"type": "row_count", "min": 1}, {"type": "uniqueness", "column": "a"},
         {"type": "range", "column": "a", "min": 0, "severity": "warn"}],
        schema=[{"column": "a", "type": "int"}],
    )  # fmt: skip
    results = evaluate_dataset(frame, table)
    assert [r.rule for r in results] == ["schema.a", "row_count", "uniqueness.a", "range.a"]
    assert [r.passed for r in results] == [True, True, False, True]
    summary = summarize("t", 3, results)
    assert (summary.score, summary.failed_errors, summary.failed_warnings) == (0.75, 1, 0)
    assert quality_score([]) == 1.0
    assert summary.to_dict()["results"][2]["samples"] == [2]
