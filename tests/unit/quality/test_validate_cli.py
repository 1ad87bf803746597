"""`stream-engine validate` on files: every format, every report format, every exit code.

Expected failing counts are computed by brute force over the rows below, not taken from
the engine; the reports must show exactly those numbers.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import fastavro
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from stream_engine.cli.main import app

ROWS: list[dict[str, Any]] = [
    {"id": 1, "name": "ann", "amount": 10.0, "country": "DE"},
    {"id": 2, "name": None, "amount": 20.0, "country": "FR"},
    {"id": 3, "name": "cy", "amount": -1.0, "country": "DE"},
    {"id": 3, "name": "dee", "amount": 50.0, "country": "XX"},
    {"id": 5, "name": "ed", "amount": 150.0, "country": "FR"},
    {"id": 6, "name": "fay", "amount": 30.0, "country": None},
    {"id": 7, "name": "gus", "amount": 40.0, "country": "DE"},
    {"id": 8, "name": "hal", "amount": 5.0, "country": "FR"},
]
RULES = """
tables:
  people:
    schema:
      - {column: id, type: int, nullable: false}
      - {column: name, type: string, nullable: false, severity: warn}
      - {column: country, allowed: [DE, FR], nullable: false}
    checks:
      - {type: uniqueness, column: id}
      - {type: range, column: amount, min: 0, max: 100}
      - {type: expression, id: amount_per_id, expr: "amount <= id * 20"}
      - {type: row_count, min: 5, max: 100}
      - {type: null_rate, column: name, threshold: 0.2, severity: warn}
"""
AVRO = {
    "type": "record",
    "name": "person",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": ["null", "string"]},
        {"name": "amount", "type": "double"},
        {"name": "country", "type": ["null", "string"]},
    ],
}


def brute_force(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Failing rows per rule, straight from the rule definitions."""
    seen: set[int] = set()
    repeats = 0
    for row in rows:
        repeats += row["id"] in seen
        seen.add(row["id"])
    return {
        "schema.id": sum(not isinstance(r["id"], int) for r in rows),
        "schema.name": sum(r["name"] is None for r in rows),
        "schema.country": sum(r["country"] not in ("DE", "FR") for r in rows),
        "uniqueness.id": repeats,
        "range.amount": sum(not 0 <= r["amount"] <= 100 for r in rows),
        "amount_per_id": sum(not r["amount"] <= r["id"] * 20 for r in rows),
    }


EXPECTED = brute_force(ROWS)
ERRORS_FAILING = ["schema.country", "uniqueness.id", "range.amount", "amount_per_id"]


def write_data(path: Path, rows: list[dict[str, Any]]) -> Path:
    if path.suffix == ".csv":
        lines = ["id,name,amount,country"] + [
            ",".join("" if v is None else str(v) for v in r.values()) for r in rows
        ]
        path.write_text("\n".join(lines) + "\n")
    elif path.suffix == ".jsonl":
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    elif path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        with path.open("wb") as out:
            fastavro.writer(out, AVRO, rows)
    return path


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["validate", *args])


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".avro"])
def test_json_report_has_the_exact_failing_counts(tmp_path: Path, rules: Path, suffix: str) -> None:
    data = write_data(tmp_path / f"people{suffix}", ROWS)
    result = invoke(str(data), str(rules), "--format", "json", "--no-history")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["format"], doc["version"], doc["table"]) == ("stream-engine.validate", 1, "people")
    assert (doc["rows"], doc["checks"], doc["passed"]) == (8, 8, 3)
    assert (doc["failed_errors"], doc["failed_warnings"]) == (4, 1)
    assert doc["score"] == 3 / 8 and doc["verdict"] == "failed" and doc["history"] is None
    by_rule = {r["rule"]: r for r in doc["results"]}
    for rule, failing in EXPECTED.items():
        assert by_rule[rule]["failing"] == failing, rule
        assert by_rule[rule]["passed"] is (failing == 0), rule
        assert math.isclose(by_rule[rule]["observed"], (8 - failing) / 8), rule
    assert by_rule["row_count"]["observed"] == 8 and by_rule["row_count"]["passed"]
    assert by_rule["null_rate.name"]["observed"] == 1 / 8 and by_rule["null_rate.name"]["passed"]
    assert by_rule["range.amount"]["samples"] == [
        {"row": 2, "values": {"amount": -1.0}, "message": "amount=-1.0 is below the minimum 0"},
        {"row": 4, "values": {"amount": 150.0}, "message": "amount=150.0 is above the maximum 100"},
    ]
    assert by_rule["uniqueness.id"]["samples"] == [3]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".avro"])
def test_text_report(tmp_path: Path, rules: Path, suffix: str) -> None:
    data = write_data(tmp_path / f"people{suffix}", ROWS)
    result = invoke(str(data), str(rules), "--no-history")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"people: 8 rows from {data}"
    assert lines[2] == "quality score 37.5% (3 of 8 checks pass); failing: 4 error, 1 warn"
    heads = [line for line in lines if line.startswith(("FAIL", "WARN"))]
    assert heads == [
        "FAIL  error  schema.country (schema)",
        "FAIL  error  uniqueness.id (uniqueness)",
        "FAIL  error  range.amount (range)",
        "FAIL  error  amount_per_id (expression)",
        "WARN  warn   schema.name (schema)",
    ]
    text = result.stdout
    assert "observed 0.75: 2 of 8 rows fail" in text  # schema.country, range.amount
    assert "row 3: country='XX' is not allowed ('DE', 'FR')" in text
    assert "row 5: country is null or missing (nullable: false)" in text
    assert "duplicate: 3" in text
    assert "row 4: expression 'amount <= id * 20' is false" in text
    assert lines[-2] == "passed: schema.id, row_count, null_rate.name"
    assert lines[-1] == "verdict: FAILED (an error-severity check fails)"
    assert max(len(line) for line in lines) <= 100


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".avro"])
def test_html_report_is_self_contained(tmp_path: Path, rules: Path, suffix: str) -> None:
    data = write_data(tmp_path / f"people{suffix}", ROWS)
    out = tmp_path / "report.html"
    result = invoke(str(data), str(rules), "--format", "html", "-o", str(out), "--no-history")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"people: quality score 37.5%, failing 4 error and 1 warn of 8 checks; report in {out}\n"
    )
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert re.findall(r"<section id=\"check-([^\"]+)\">", page) == [
        "schema-id", "schema-name", "schema-country", "uniqueness-id", "range-amount",
        "amount-per-id", "row-count", "null-rate-name",
    ]  # fmt: skip
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert "<svg" not in page  # no history, no charts
    assert "country=&#x27;XX&#x27; is not allowed" in page


def test_exit_codes(tmp_path: Path, rules: Path) -> None:
    data = write_data(tmp_path / "people.parquet", ROWS)
    failed = invoke(str(data), str(rules), "--fail-on-error", "--no-history")
    assert failed.exit_code == 1 and failed.stderr == ""
    few = write_data(tmp_path / "few.parquet", [ROWS[i] for i in (0, 1, 6, 7)])
    short = invoke(str(few), str(rules), "--fail-on-error", "--no-history", "--format", "json")
    assert short.exit_code == 1, short.output
    doc = json.loads(short.stdout)
    assert (doc["failed_errors"], doc["failed_warnings"], doc["verdict"]) == (1, 2, "failed")
    failing = [r["rule"] for r in doc["results"] if not r["passed"]]
    assert failing == ["schema.name", "row_count", "null_rate.name"]  # 4 rows < min 5


def test_exit_code_zero_when_only_warnings_fail(tmp_path: Path, rules: Path) -> None:
    rows = [dict(r, id=i, amount=1.0, country="DE") for i, r in enumerate(ROWS, start=1)]
    data = write_data(tmp_path / "warn.csv", rows)
    result = invoke(str(data), str(rules), "--fail-on-error", "--no-history")
    assert result.exit_code == 0, result.output
    assert "WARN  warn   schema.name (schema)" in result.stdout
    assert result.stdout.splitlines()[-1] == "verdict: passed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "{rules}"], "error: missing.csv: no such file or folder"),
        (["{data}", "nope.yaml"], "error: nope.yaml: no such rules file"),
        (["ftp://x/y.csv", "{rules}"], "error: ftp://x/y.csv: unknown source scheme 'ftp'"),
        (
            ["{data}", "{rules}", "--table", "zzz"],
            "error: {rules}: no table 'zzz' (tables: people)",
        ),
        (["{data}", "{bad_rules}"], "error: {bad_rules}: tables.people.checks[0]: unknown check"),
        (
            ["{data}", "{rules}", "--history", "h", "--no-history"],
            "error: --history and --no-history",
        ),
        (["{data}", "{rules}", "--format", "xml"], "Invalid value for '--format'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    tmp_path: Path, rules: Path, args: list[str], message: str
) -> None:
    data = write_data(tmp_path / "people.csv", ROWS)
    bad_rules = tmp_path / "bad.yaml"
    bad_rules.write_text("tables:\n  people:\n    checks:\n      - {type: rnage, column: id}\n")
    names = {"rules": str(rules), "data": str(data), "bad_rules": str(bad_rules)}
    result = invoke(*[a.format(**names) for a in args])
    assert result.exit_code == 2, result.output
    assert message.format(**names) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 or "Usage" in result.stderr


def test_corrupt_file_exits_1_naming_the_file(tmp_path: Path, rules: Path) -> None:
    bad = tmp_path / "people.parquet"
    bad.write_bytes(b"PAR1 not really")
    result = invoke(str(bad), str(rules), "--no-history")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {bad}: cannot read parquet file:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_history_feeds_the_anomaly_check_and_the_html_trend(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "tables:\n  t:\n    checks:\n"
        "      - {type: anomaly, metric: row_count, z_threshold: 3, history: 10, warm_up: 2}\n"
    )
    history = tmp_path / "history.sqlite"
    docs = []
    for count in (10, 12, 30):
        data = write_data(tmp_path / f"t{count}.csv", [dict(ROWS[0], id=i) for i in range(count)])
        result = invoke(str(data), str(rules), "--table", "t", "--history", str(history),
                        "--format", "json", "--fail-on-error")  # fmt: skip
        docs.append((result.exit_code, json.loads(result.stdout)))
    (code1, first), (code2, second), (code3, third) = docs
    assert (code1, code2, code3) == (0, 0, 1)
    anomaly = [d["results"][0] for d in (first, second, third)]
    assert [a["details"]["history"] for a in anomaly] == [0, 1, 2]
    assert anomaly[0]["message"] == "warming up (0 of 2 values)"
    assert anomaly[2]["observed"] == 30 and anomaly[2]["passed"] is False
    assert anomaly[2]["details"]["mean"] == 11
    assert math.isclose(anomaly[2]["details"]["stddev"], math.sqrt(2))
    assert math.isclose(anomaly[2]["details"]["z"], 19 / math.sqrt(2))
    assert third["history"] == {"path": str(history), "run_id": 3, "runs": 3}
    data = tmp_path / "t30.csv"
    page_path = tmp_path / "r.html"
    result = invoke(str(data), str(rules), "--history", str(history), "--format", "html",
                    "-o", str(page_path))  # fmt: skip
    assert result.exit_code == 0
    page = page_path.read_text()
    charts = re.findall(r"<svg .*?</svg>", page)
    assert len(charts) == 3  # score, rows, and the anomaly rule's metric
    rows_chart = charts[1]
    assert 'aria-label="Rows over 4 runs"' in rows_chart
    assert [t for t in re.findall(r"Z: ([0-9.]+)</title>", rows_chart)] == ["10", "12", "30", "30"]


def test_columns_missing_from_the_data_are_named(tmp_path: Path, rules: Path) -> None:
    """A misspelled column would quietly pass some checks: every report names it."""
    rules.write_text(
        RULES.replace("{type: uniqueness, column: id}", "{type: uniqueness, column: idd}")
    )
    data = write_data(tmp_path / "people.jsonl", ROWS)
    doc = json.loads(invoke(str(data), str(rules), "--format", "json", "--no-history").stdout)
    assert doc["missing_columns"] == ["idd"]
    text = invoke(str(data), str(rules), "--no-history").stdout
    assert "warning: not in the data, judged as all null: idd" in text
    html = tmp_path / "r.html"
    invoke(str(data), str(rules), "--format", "html", "-o", str(html), "--no-history")
    assert "Not in the data, judged as all null: <code>idd</code>" in html.read_text()
    rules.write_text(RULES)
    clean = invoke(str(data), str(rules), "--format", "json", "--no-history").stdout
    assert json.loads(clean)["missing_columns"] == []
