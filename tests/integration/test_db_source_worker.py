"""A pipeline with a `type: postgres` source: the worker extracts rows into the source topic
and processes them; every row reaches the sink once, across a restart and a database outage.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import psycopg
import pytest
from kafka_kit import KafkaKit
from postgres_kit import LocalPostgres
from worker_kit import WorkerProcess

from connectors.kafka_admin import TopicRequest, ensure_topics
from stream_engine.runtime.db_sources import TableExtractor
from stream_engine.spec.db_sources import CURSOR_TOPIC, PostgresSourceSpec

PIPELINE = """
pipeline: {name}
version: 1
worker: {{batch_size: 50, batch_wait: 50ms}}
sources:
  customers:
    type: postgres
    dsn: ${{PG_DSN}}
    table: customers
    cursor: [updated_at, id]
    topic: {rows}
    poll: 200ms
    safety_lag: 0s
    page_size: 3
steps:
  - map: {{name_upper: "upper(name)"}}
sinks:
  out: {{topic: {out}, key: id}}
dead_letter: {{topic: {dlq}}}
"""


def _insert(dsn: str, ids: range, name: str = "c") -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for i in ids:
            conn.execute("INSERT INTO customers (id, name) VALUES (%s, %s)", (i, f"{name}{i}"))


def _seen(kafka: KafkaKit, topic: str) -> list[tuple[int, str]]:
    values = [orjson.loads(m.value) for m in kafka.read_all(topic) if m.value is not None]
    return sorted((v["id"], v["name_upper"]) for v in values)


def test_rows_before_during_and_after_a_restart_reach_the_sink_once(
    kafka: KafkaKit,
    postgres_dsn: str,
    postgres_server: LocalPostgres,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, "
            "updated_at timestamptz NOT NULL DEFAULT clock_timestamp())"
        )
    _insert(postgres_dsn, range(1, 8))  # before the worker: more than two pages
    rows, out, dlq = kafka.unique("rows"), kafka.unique("out"), kafka.unique("dlq")
    kafka.created += [rows, out, dlq]  # the worker creates them (rows too)
    path = tmp_path / "pipeline.yaml"
    path.write_text(PIPELINE.format(name=kafka.unique("p"), rows=rows, out=out, dlq=dlq))
    monkeypatch.setenv("PG_DSN", postgres_dsn)

    first = WorkerProcess(path, kafka.bootstrap, tmp_path, "first", runtime="faust").start()
    try:
        assert first.wait_until(lambda: len(kafka.read_all(out)) >= 7, 40), first.log[-3000:]
        _insert(postgres_dsn, range(8, 12))  # while it runs
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute("UPDATE customers SET name = 'renamed', updated_at = now() WHERE id = 2")
        assert first.wait_until(lambda: len(kafka.read_all(out)) >= 12, 30), first.log[-3000:]
    finally:
        assert first.terminate() == 0, first.log[-3000:]

    _insert(postgres_dsn, range(12, 15))  # while no worker runs
    second = WorkerProcess(path, kafka.bootstrap, tmp_path, "second", runtime="kafka").start()
    try:
        assert second.wait_until(lambda: len(kafka.read_all(out)) >= 15, 30), second.log[-3000:]
        # The database goes away: the worker stays ready and the extractor retries.
        postgres_server.stop()
        try:
            assert second.wait_until(lambda: "retrying in" in second.log, 20), second.log[-3000:]
            assert second.get("/ready")[0] == 200
            assert second.proc is not None and second.proc.poll() is None
        finally:
            postgres_server.start()
        _insert(postgres_dsn, range(15, 17))
        assert second.wait_until(lambda: len(kafka.read_all(out)) >= 17, 30), second.log[-3000:]
    finally:
        assert second.terminate() == 0, second.log[-3000:]

    expected = sorted(
        [(i, f"C{i}") for i in range(1, 17)] + [(2, "RENAMED")]  # an update is a new record
    )
    assert _seen(kafka, out) == expected
    assert len(kafka.read_all(rows)) == 17  # nothing extracted twice across the restart
    assert kafka.read_all(dlq) == []
    logs = first.log + second.log
    assert "Traceback" not in logs

    # A replay reads the topic range only: an unreachable database does not matter.
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
        "PG_DSN": "postgresql://nobody:pw@127.0.0.1:1/none",
    }
    out_dir = tmp_path / "replay"
    replayed = subprocess.run(
        [
            sys.executable,
            "-m",
            "stream_engine",
            "replay",
            str(path),
            "--output",
            f"files:{out_dir}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert replayed.returncode == 0, replayed.stderr[-2000:]
    files = sorted((tmp_path / "replay").iterdir())
    assert [f.name for f in files] == ["out.jsonl"], files
    lines = [orjson.loads(line) for line in files[0].read_text().splitlines()]
    assert sorted((v["id"], v["name_upper"]) for v in lines) == expected


def test_two_replicas_extract_each_row_once_and_hand_over(
    kafka: KafkaKit, postgres_dsn: str
) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, "
            "updated_at timestamptz NOT NULL DEFAULT clock_timestamp())"
        )
    _insert(postgres_dsn, range(1, 11))
    rows = kafka.topic("rows", partitions=2)
    ensure_topics(kafka.admin, [TopicRequest(CURSOR_TOPIC, 1, 1, {"cleanup.policy": "compact"})])
    spec = PostgresSourceSpec.model_validate(
        {
            "type": "postgres",
            "dsn": postgres_dsn,
            "table": "customers",
            "cursor": ["updated_at", "id"],
            "topic": rows,
            "poll": "200ms",
            "safety_lag": "0s",
            "page_size": 4,
        }
    )
    replicas = [TableExtractor(n, spec, kafka.settings) for n in ("a", "b")]
    for replica in replicas:
        replica.start()
    try:
        assert len(kafka.read_all(rows, expected=10)) == 10
        _insert(postgres_dsn, range(11, 16))
        assert len(kafka.read_all(rows, expected=15)) == 15
        leader = next(r for r in replicas if r.extracted)
        assert [r.extracted for r in replicas if r is not leader] == [0]  # one extracts
        leader.close()  # a stopped pod: the other replica takes over from the saved cursor
        _insert(postgres_dsn, range(16, 21))
        assert len(kafka.read_all(rows, expected=20)) == 20
    finally:
        for replica in replicas:
            replica.close()
    ids = sorted(orjson.loads(m.value)["id"] for m in kafka.read_all(rows) if m.value)
    assert ids == list(range(1, 21))
    assert sum(r.extracted for r in replicas) == 20
