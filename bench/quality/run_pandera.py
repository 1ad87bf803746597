"""Validate the benchmark file with pandera; runs inside pandera's own virtual environment.

`python run_pandera.py DATA.parquet RUNS` prints one JSON line: seconds per run and the
failing rows per check (same names as generate.expected_failures). Only pandas, pyarrow
and pandera are imported: this file must not import stream-engine.
"""

from __future__ import annotations

import json
import sys
import time
from importlib.metadata import version
from typing import Any

import pandas as pd
import pandera.pandas as pa

COUNTRIES = ["US", "DE", "FR", "GB", "JP", "BR"]
STATUSES = ["new", "paid", "shipped", "cancelled"]
EMAIL_REGEX = r"^[a-z0-9._]+@[a-z0-9]+\.[a-z]{2,}$"


def build_schema() -> pa.DataFrameSchema:
    string = pd.StringDtype(na_value=float("nan"))  # pandas 3's default "str"
    return pa.DataFrameSchema(
        {
            "event_id": pa.Column(string, nullable=False, unique=True),
            "user_id": pa.Column("int64", nullable=False),
            "amount": pa.Column("float64", pa.Check.in_range(0.0, 10_000.0), nullable=False),
            "quantity": pa.Column("int64", pa.Check.in_range(1, 100), nullable=False),
            "country": pa.Column(string, pa.Check.isin(COUNTRIES), nullable=False),
            "status": pa.Column(string, pa.Check.isin(STATUSES), nullable=False),
            "email": pa.Column(string, pa.Check.str_matches(EMAIL_REGEX), nullable=False),
            "ts": pa.Column("datetime64[ms]", nullable=False),
            "discount": pa.Column("float64", nullable=False),
            "referrer": pa.Column(string, nullable=True),
        },
        checks=[pa.Check(lambda df: df["discount"] <= df["amount"], name="discount_le_amount")],
    )


def failing_counts(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> dict[str, int]:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        cases = pd.DataFrame(columns=["schema_context", "column", "check", "index"])
    frame_wide = cases["schema_context"] == "DataFrameSchema"
    counts: dict[str, int] = {}
    for (column, check), group in cases[~frame_wide].groupby(["column", "check"], dropna=False):
        counts[_name(str(column), str(check))] = len(group)
    # A frame-wide check lists each failing row once per column: count distinct rows.
    for check, group in cases[frame_wide].groupby("check"):
        counts[_name("", str(check))] = int(group["index"].nunique())
    return counts


def _name(column: str, check: str) -> str:
    if check == "field_uniqueness":
        return "unique_event_id_rows"
    if check == "not_nullable":
        return f"not_null_{column}"
    if check.startswith("in_range"):
        return f"range_{column}"
    if check.startswith("isin"):
        return f"allowed_{column}"
    if check.startswith("str_matches"):
        return f"regex_{column}"
    if check == "discount_le_amount":
        return "expression_discount"
    if check.startswith("dtype"):
        return "types"
    return f"other:{column}:{check}"


def main(path: str, runs: int) -> dict[str, Any]:
    loading = time.perf_counter()
    frame = pd.read_parquet(path)
    load_s = time.perf_counter() - loading
    schema = build_schema()
    seconds = []
    cpu = []
    counts: dict[str, int] = {}
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        counts = failing_counts(schema, frame)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    return {
        "tool": "pandera",
        "version": version("pandera"),
        "load_s": load_s,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "failing": counts,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
