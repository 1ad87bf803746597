"""`python -m bench.warehouse --pg DSN`: 1M window results into DuckDB and PostgreSQL.

Side by side, on the same rows, in the same run:

- stream-engine's TableSink (what a pipeline's `sinks:` entry or a window's `sink.table`
  runs), fed the result dicts in batches as the worker would, in append mode and in upsert
  mode (keyed by key + window start, as window results are written);
- pandas `DataFrame.to_sql(method="multi", chunksize=10000)` through SQLAlchemy (DuckDB via
  duckdb-engine, PostgreSQL via psycopg), given a DataFrame already built from the same
  rows (its construction is not timed, which favours pandas).

SQLAlchemy and duckdb-engine are bench-only: `pip install -e .[bench]`, or put them on
PYTHONPATH from a separate directory; the runtime never imports them. Every load starts
from an empty table; rows/s = rows / wall time of the load. The target: >= 5x to_sql.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg

from bench.run import code_version, machine_info
from connectors.base import SinkRow
from connectors.sql.database import Database, DuckDBDatabase, PostgresDatabase
from connectors.sql.table_sink import TableSink

DEFAULT_OUT = Path(__file__).parent / "results" / "warehouse.json"
TARGET = 5.0
PANDAS_CHUNK = 10_000
PG_MAX_PARAMS = 65_535
WINDOW_MS = 300_000


def window_results(n: int, keys: int = 50_000) -> list[dict[str, Any]]:
    """n distinct 5-minute window results, shaped like the window engine's output."""
    out = []
    for i in range(n):
        start = 1_704_067_200_000 + (i // keys) * WINDOW_MS
        out.append(
            {
                "key": f"user-{i % keys:06d}",
                "window_start": start,
                "window_end": start + WINDOW_MS,
                "window_start_iso": datetime.fromtimestamp(start / 1000, UTC).isoformat(),
                "views": i % 97 + 1,
                "seconds": (i % 1000) / 10,
                "segment": ("consumer", "smb", "enterprise")[i % 3],
                "count": i % 97 + 1,
            }
        )
    return out


def load_sink(db: Database, rows: list[dict[str, Any]], mode: str, batch: int) -> float:
    sink = TableSink("bench", db, "results", mode, ["key", "window_start"])  # type: ignore[arg-type]
    began = time.perf_counter()
    for i in range(0, len(rows), batch):
        sink.add([SinkRow(r, r["window_start"]) for r in rows[i : i + batch]])
        sink.flush()
    return time.perf_counter() - began


def load_pandas(url: str, frame: pd.DataFrame, chunksize: int) -> float:
    import sqlalchemy  # bench-only dependency

    engine = sqlalchemy.create_engine(url)
    try:
        began = time.perf_counter()
        frame.to_sql(
            "results", engine, if_exists="append", index=False, method="multi", chunksize=chunksize
        )
        return time.perf_counter() - began
    finally:
        engine.dispose()


def count(db: Database) -> int:
    return int(db.fetch("SELECT count(*) FROM results")[0][0])


def fresh_pg(admin_dsn: str, name: str) -> str:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_dsn.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", required=True, help="An admin DSN; databases are made per load.")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000, help="Rows per sink flush.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    rows = window_results(args.rows)
    frame = pd.DataFrame.from_records(rows)
    results: dict[str, dict[str, float]] = {}
    notes: list[str] = []

    def record(target: str, contender: str, seconds: float, loaded: int) -> None:
        assert loaded == args.rows, f"{target}/{contender} loaded {loaded} of {args.rows} rows"
        rate = args.rows / seconds
        results.setdefault(target, {})[contender] = round(rate)
        print(f"{target:9} {contender:24} {seconds:8.2f} s {rate:12,.0f} rows/s", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-warehouse-") as tmp:
        for mode in ("append", "upsert"):
            db = DuckDBDatabase(Path(tmp) / f"sink-{mode}.duckdb")
            record(
                "duckdb", f"stream-engine {mode}", load_sink(db, rows, mode, args.batch), count(db)
            )
            db.close()
        path = Path(tmp) / "pandas.duckdb"
        seconds = load_pandas(f"duckdb:///{path}", frame, PANDAS_CHUNK)
        db = DuckDBDatabase(path)
        record("duckdb", "pandas to_sql multi", seconds, count(db))
        db.close()
    for mode in ("append", "upsert"):
        db = PostgresDatabase(fresh_pg(args.pg, f"bench_sink_{mode}"))
        record(
            "postgres", f"stream-engine {mode}", load_sink(db, rows, mode, args.batch), count(db)
        )
        db.close()
    dsn = fresh_pg(args.pg, "bench_pandas")
    # PostgreSQL takes at most 65535 parameters per statement: 10,000 rows x 8 columns fail.
    pg_chunk = min(PANDAS_CHUNK, PG_MAX_PARAMS // len(frame.columns))
    notes.append(
        f"pandas on PostgreSQL: chunksize {pg_chunk} (10000 x {len(frame.columns)} "
        f"columns exceeds PostgreSQL's {PG_MAX_PARAMS} parameters per statement)"
    )
    seconds = load_pandas(dsn.replace("postgresql://", "postgresql+psycopg://", 1), frame, pg_chunk)
    db = PostgresDatabase(dsn)
    record("postgres", "pandas to_sql multi", seconds, count(db))
    db.close()

    ratios = {
        target: {
            mode: round(r[f"stream-engine {mode}"] / r["pandas to_sql multi"], 1)
            for mode in ("append", "upsert")
        }
        for target, r in results.items()
    }
    print(json.dumps({"ratios_vs_pandas": ratios, "target": TARGET}, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "warehouse",
                "rows": args.rows,
                "batch": args.batch,
                "rows_per_s": results,
                "ratios_vs_pandas": ratios,
                "target": TARGET,
                "notes": notes,
                "machine": machine_info(),
                "code": code_version(),
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
