"""Rules files: every check type loads, and every bad rule is one line naming it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stream_engine.errors import ConfigError
from stream_engine.quality import load_rules, parse_rules
from stream_engine.quality.loader import RulesFileError
from stream_engine.quality.rules import CHECK_TYPES

KNOWN = ", ".join(CHECK_TYPES)


def table(**body: Any) -> dict[str, Any]:
    return {"tables": {"page_views": body}}


def errors(data: Any) -> list[str]:
    with pytest.raises(RulesFileError) as caught:
        parse_rules(data, "rules.yaml")
    assert isinstance(caught.value, ConfigError)
    return caught.value.errors


def test_every_check_type_loads_with_default_ids() -> None:
    rules = parse_rules(
        table(
            schema=[{"column": "user_id", "type": "string", "nullable": False}],
            checks=[
                {"type": "range", "column": "duration_ms", "min": 0, "max": 86400000},
                {"type": "null_rate", "column": "referrer", "threshold": 0.05},
                {"type": "uniqueness", "column": "event_id"},
                {"type": "uniqueness", "columns": ["user_id", "ts"]},
                {"type": "row_count", "min": 1},
                {"type": "freshness", "column": "ts", "max_age": "2h"},
                {
                    "type": "distribution",
                    "column": "amount",
                    "expected_mean": 150,
                    "expected_stddev": 75,
                    "tolerance": 0.2,
                },
                {"type": "anomaly", "metric": "row_count", "z_threshold": 3, "history": 20},
                {"type": "anomaly", "metric": "mean", "column": "amount"},
                {
                    "type": "referential_integrity",
                    "column": "user_id",
                    "reference": {"topic": "users"},
                },
                {"type": "expression", "expr": "duration_ms >= 0", "severity": "warn"},
                {"type": "expression", "expr": "amount < 1000", "id": "amount_sane"},
            ],
            per="5m",
            dedup_span="1h",
            on_error="halt",
        ),
        "rules.yaml",
    )
    rules_table = rules.table("page_views")
    assert [s.rule_id for s in rules_table.schema_] == ["schema.user_id"]
    assert [c.rule_id for c in rules_table.checks] == [
        "range.duration_ms",
        "null_rate.referrer",
        "uniqueness.event_id",
        "uniqueness.user_id+ts",
        "row_count",
        "freshness.ts",
        "distribution.amount",
        "anomaly.row_count",
        "anomaly.mean.amount",
        "referential_integrity.user_id",
        "expression.10",
        "amount_sane",
    ]
    assert rules_table.per.ms == 300_000
    assert rules_table.dedup_span is not None and rules_table.dedup_span.ms == 3_600_000
    assert rules_table.on_error == "halt"
    assert rules_table.checks[10].severity == "warn"
    assert rules_table.checks[10].columns == ("duration_ms",)
    assert [c.type for c in rules_table.record_checks] == [
        "range", "referential_integrity", "expression", "expression",
    ]  # fmt: skip
    assert [c.rule_id for c in rules_table.uniqueness_checks] == [
        "uniqueness.event_id", "uniqueness.user_id+ts",
    ]  # fmt: skip


def test_defaults() -> None:
    rules_table = parse_rules(table(checks=[{"type": "range", "column": "a", "min": 0}]), "r")
    check = rules_table.table(None).checks[0]
    assert (check.severity, check.mostly) == ("error", 1.0)
    assert rules_table.table(None).per.ms == 60_000
    assert rules_table.table(None).on_error == "dead_letter"


@pytest.mark.parametrize(
    ("check", "line"),
    [
        (
            {"type": "rnage", "column": "x"},
            f"checks[0]: unknown check type 'rnage' (known: {KNOWN})",
        ),
        ({"column": "x"}, f"checks[0]: field 'type' required (known: {KNOWN})"),
        ("range", "checks[0]: expected a mapping with type, got 'range'"),
        (
            {"type": "range", "column": "a", "mni": 0},
            "checks[0].mni: unknown key, did you mean 'min'? "
            "(allowed: type, id, severity, mostly, column, min, max)",
        ),
        ({"type": "range", "column": "a"}, "checks[0]: range needs min, max or both"),
        (
            {"type": "range", "column": "a", "min": 5, "max": 1},
            "checks[0]: min 5.0 is larger than max 1.0",
        ),
        (
            {"type": "null_rate", "column": "a", "mostly": 0.9},
            "checks[0]: mostly does not apply to null_rate checks (they compare one metric with "
            "their own bounds); mostly is for record-level checks and uniqueness",
        ),
        (
            {"type": "range", "column": "a", "min": 0, "mostly": 1.5},
            "checks[0].mostly: expected at most 1.0, got 1.5",
        ),
        (
            {"type": "range", "column": "a", "min": 0, "severity": "fatal"},
            "checks[0].severity: expected one of warn, error, got 'fatal'",
        ),
        (
            {"type": "expression", "expr": "a >"},
            'checks[0].expr: invalid expression: syntax error in expression "a >": invalid syntax',
        ),
        (
            {"type": "freshness", "column": "ts", "max_age": "2x"},
            "checks[0].max_age: invalid duration '2x': expected a whole number followed by a "
            "unit: ms, s, m, h or d (e.g. 500ms, 30s, 5m, 2h, 7d)",
        ),
        ({"type": "uniqueness"}, "checks[0]: uniqueness needs column or columns (one of them)"),
        (
            {"type": "uniqueness", "columns": ["a", "a"]},
            "checks[0]: columns must list at least one column, each once",
        ),
        ({"type": "anomaly", "metric": "mean"}, "checks[0]: metric mean needs column"),
        (
            {"type": "anomaly", "metric": "row_count", "history": 3, "warm_up": 5},
            "checks[0]: warm_up 5 is larger than history 3",
        ),
        (
            {
                "type": "referential_integrity",
                "column": "u",
                "reference": {"file": "a", "topic": "b"},
            },
            "checks[0].reference: expected exactly one of file, topic or database (with table), "
            "got file, topic",
        ),
        (
            {"type": "referential_integrity", "column": "u", "reference": {"database": "x.duckdb"}},
            "checks[0].reference: a database reference needs table",
        ),
        (
            {"type": "range", "column": "a", "min": 0, "id": "has space"},
            "checks[0].id: invalid rule id 'has space': "
            "use 1 to 200 letters, digits and . _ - : + #",
        ),
        ({"type": "range", "column": "a", "min": 0, "index": 4}, "checks[0]: unknown key 'index'"),
    ],
)
def test_bad_check_is_one_line_naming_it(check: Any, line: str) -> None:
    assert errors(table(checks=[check])) == [f"rules.yaml: tables.page_views.{line}"]


def test_problems_across_the_file_are_all_reported() -> None:
    lines = errors(
        table(
            schema=[{"column": "a", "type": "strng"}, {"column": "b", "regex": "("}],
            checks=[
                {"type": "uniqueness", "column": "a"},
                {"type": "uniqueness", "column": "a"},
            ],
            per="0",
            on_error="stop",
        )
    )
    assert lines == [
        "rules.yaml: tables.page_views.on_error: expected one of dead_letter, halt, got 'stop'",
        "rules.yaml: tables.page_views.per: expected a duration longer than 0",
        "rules.yaml: tables.page_views.schema[0].type: expected one of string, int, float, "
        "bool, timestamp, date, decimal, array, map, got 'strng'",
        "rules.yaml: tables.page_views.schema[1].regex: invalid regex '(': missing ), "
        "unterminated subpattern at position 0",
    ]


def test_duplicate_rule_ids_name_both_rules() -> None:
    lines = errors(
        table(
            schema=[{"column": "a", "id": "x"}],
            checks=[{"type": "uniqueness", "column": "a", "id": "x"}],
        )
    )
    assert lines == [
        "rules.yaml: tables.page_views.checks[0]: rule id 'x' is already used by schema[0]; "
        "give it an id"
    ]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (None, "rules.yaml: the file is empty (expected a mapping with tables)"),
        ([1], "rules.yaml: expected a mapping with tables, got a list"),
        ({"tables": {}}, "rules.yaml: tables: expected at least one table"),
        (
            {"tables": {"Bad": {}}},
            "rules.yaml: tables.Bad: invalid name 'Bad': use lowercase "
            "letters, digits and '_', not starting with a digit, at most 100 characters",
        ),
        ({"table": {}}, "rules.yaml: table: unknown key, did you mean 'tables'? (allowed: tables)"),
    ],
)
def test_bad_file_shape(data: Any, line: str) -> None:
    assert line in errors(data)


def test_load_rules_from_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("tables:\n  t:\n    checks:\n      - {type: rnage, column: x}\n")
    with pytest.raises(RulesFileError) as caught:
        load_rules(path)
    assert caught.value.errors == [
        f"{path}: tables.t.checks[0]: unknown check type 'rnage' (known: {KNOWN})"
    ]
    missing = tmp_path / "nope.yaml"
    with pytest.raises(RulesFileError, match=r"nope\.yaml: file not found"):
        load_rules(missing)
    path.write_text("tables:\n  t:\n    checks: [{type: row_count, min: 1}]\n")
    assert load_rules(path).table("t").checks[0].rule_id == "row_count"


def test_table_lookup_names_the_choices() -> None:
    rules = parse_rules({"tables": {"a": {}, "b": {}}}, "r")
    with pytest.raises(KeyError, match="choose one of: a, b"):
        rules.table(None)
    with pytest.raises(KeyError, match="no table 'c' in the rules file"):
        rules.table("c")


@pytest.mark.parametrize(
    "check",
    [
        {"type": "range", "column": "a", "min": float("nan"), "max": 5},
        {"type": "range", "column": "a", "max": float("nan")},
        {"type": "distribution", "column": "a", "expected_mean": float("nan")},
        {"type": "anomaly", "metric": "row_count", "z_threshold": float("inf")},
    ],
)
def test_nan_and_infinite_numbers_are_refused(check: Any) -> None:
    # A NaN bound made every comparison false: the range check passed any value.
    (line,) = errors(table(checks=[check]))
    assert "finite number" in line
