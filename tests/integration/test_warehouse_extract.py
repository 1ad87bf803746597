"""Incremental extraction from a real PostgreSQL: exact resumption, ties, late commits, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
import psycopg
from kafka_kit import KafkaKit

from connectors.cursor_store import CursorStore
from connectors.postgres_source import PostgresIncrementalSource


def _table(dsn: str, n: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE customers (id int PRIMARY KEY, segment text, "
            "updated_at timestamptz NOT NULL)"
        )
        # five rows share each timestamp, so ties straddle every page boundary
        conn.execute(
            "INSERT INTO customers SELECT g, 'bronze', "
            "timestamptz '2024-01-01' + (g / 5) * interval '1 hour' "
            "FROM generate_series(1, %s) g",
            (n,),
        )


def _source(
    dsn: str, state: Path, lag_s: float = 0.0, name: str = "c"
) -> PostgresIncrementalSource:
    return PostgresIncrementalSource(
        dsn,
        "customers",
        "updated_at",
        "id",
        CursorStore(state),
        page_size=4,
        safety_lag_s=lag_s,
        name=name,
    )


def test_a_restart_resumes_after_the_last_committed_page(postgres_dsn: str, tmp_path: Path) -> None:
    _table(postgres_dsn, 23)
    first = _source(postgres_dsn, tmp_path)
    pages = first.pages()
    page1 = next(pages)
    first.commit()
    page2 = next(pages)  # read, never delivered: the process "crashes" here
    first.close()
    again = _source(postgres_dsn, tmp_path)
    rest = []
    for page in again.pages():
        rest += page
        again.commit()
    again.close()
    assert [r["id"] for r in page1] == [1, 2, 3, 4]
    assert [r["id"] for r in rest][:4] == [r["id"] for r in page2]  # re-read, not skipped
    assert [r["id"] for r in page1 + rest] == list(range(1, 24))
    assert _source(postgres_dsn, tmp_path).cursor.key == 23  # type: ignore[union-attr]
    # Rows changed later, with a timestamp equal to the cursor's, are still found.
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO customers VALUES (24, 'gold', timestamptz '2024-01-01 04:00')")
        conn.execute(
            "UPDATE customers SET segment = 'gold', updated_at = timestamptz '2024-02-01' "
            "WHERE id = 2"
        )
    late = _source(postgres_dsn, tmp_path)
    found = [r for page in late.pages() for r in page]
    assert [(r["id"], r["segment"]) for r in found] == [(24, "gold"), (2, "gold")]


def test_rows_of_a_transaction_that_commits_late_are_not_missed(
    postgres_dsn: str, tmp_path: Path
) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE customers (id int PRIMARY KEY, segment text, "
            "updated_at timestamptz NOT NULL)"
        )
    slow = psycopg.connect(postgres_dsn)  # a long transaction: updated_at = its start time
    slow.execute("INSERT INTO customers VALUES (100, 'slow', now())")
    time.sleep(0.2)
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO customers VALUES (101, 'fast', now())")
    eager = _source(postgres_dsn, tmp_path, lag_s=0.0, name="eager")
    careful = _source(postgres_dsn, tmp_path, lag_s=1.5, name="careful")
    seen: dict[str, list[int]] = {"eager": [], "careful": []}
    for name, source in (("eager", eager), ("careful", careful)):
        for page in source.pages():
            seen[name] += [r["id"] for r in page]
            source.commit()
    assert seen == {"eager": [101], "careful": []}
    slow.commit()
    slow.close()
    time.sleep(1.7)
    for name, source in (("eager", eager), ("careful", careful)):
        for page in source.pages():
            seen[name] += [r["id"] for r in page]
            source.commit()
    # Without a lag the cursor passed row 100 before it was visible: lost for good.
    assert seen == {"eager": [101], "careful": [100, 101]}


def test_extract_command_sends_only_new_rows_and_masks_the_password(
    postgres_dsn: str, tmp_path: Path, kafka: KafkaKit
) -> None:
    _table(postgres_dsn, 7)
    topic = kafka.topic("customers", partitions=2)
    cmd = [
        sys.executable, "-m", "stream_engine", "extract", "customers", "--topic", topic,
        "--state", str(tmp_path / "cursors"), "--page-size", "3", "--safety-lag", "0s",
    ]  # fmt: skip
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
        "STREAM_ENGINE_POSTGRES_DSN": postgres_dsn,
    }
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"extracted 7 rows of customers into {topic}" in done.stdout
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(
            "UPDATE customers SET segment = 'gold', updated_at = timestamptz '2024-03-01' "
            "WHERE id = 3"
        )
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert "extracted 1 rows" in done.stdout, done.stderr
    messages = kafka.read_all(topic, expected=8)
    values = sorted(
        (orjson.loads(m.value)["id"], orjson.loads(m.value)["segment"]) for m in messages
    )
    assert values == sorted([(i, "bronze") for i in range(1, 8)] + [(3, "gold")])
    assert all(m.key == str(orjson.loads(m.value)["id"]).encode() for m in messages)
    bad = postgres_dsn.replace("postgres@", "postgres:hunter2@").rsplit("/", 1)[0] + "/nodb"
    done = subprocess.run(
        [*cmd, "--dsn", bad, "--retry-for", "0s"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1
    assert "hunter2" not in done.stderr and "***" in done.stderr


def test_rows_with_a_null_watermark_are_counted_not_dropped_silently(
    postgres_dsn: str, tmp_path: Path
) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE customers (id int PRIMARY KEY, updated_at timestamptz)")
        conn.execute(
            "INSERT INTO customers VALUES "
            "(1, '2024-01-01'), (2, NULL), (3, NULL), (4, '2024-01-02')"
        )
    source = _source(postgres_dsn, tmp_path)
    assert [row["id"] for page in source.pages() for row in page] == [1, 4]
    assert source.null_watermark_rows() == 2
    source.close()
