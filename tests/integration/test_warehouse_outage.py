"""PostgreSQL stopped under a running worker: retries, a one-line stop, nothing lost or doubled."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import psycopg
from kafka_kit import KafkaKit
from postgres_kit import LocalPostgres
from worker_kit import WorkerProcess

PIPELINE = """
pipeline: {name}
version: 1
worker: {{batch_size: 50, batch_wait: 50ms}}
sources:
  events: {{topic: {source}}}
sinks:
  rows: {{type: postgres, dsn: "{dsn}", table: events, mode: append, retry_for: {retry}}}
dead_letter: {{topic: {dlq}}}
"""


def _count(dsn: str) -> tuple[int, int]:
    try:
        with psycopg.connect(dsn, connect_timeout=2) as conn:
            row = conn.execute("SELECT count(*), count(DISTINCT id) FROM events").fetchone()
    except psycopg.Error:
        return (-1, -1)
    assert row is not None
    return int(row[0]), int(row[1])


def _produce(kafka: KafkaKit, topic: str, ids: range) -> None:
    kafka.produce(topic, [(str(i).encode(), orjson.dumps({"id": i, "n": i % 7})) for i in ids])


def test_database_outage_mid_run(
    kafka: KafkaKit, tmp_path: Path, postgres_server: LocalPostgres, postgres_dsn: str
) -> None:
    source = kafka.topic("src", partitions=2)
    dlq = kafka.unique("dlq")
    kafka.created.append(dlq)
    # The password is ignored (trust auth) but must never be printed.
    dsn = postgres_dsn.replace("postgres@", "postgres:hunter2@")
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        PIPELINE.format(name=kafka.unique("p"), source=source, dsn=dsn, retry="60s", dlq=dlq)
    )
    _produce(kafka, source, range(0, 400))
    worker = WorkerProcess(path, kafka.bootstrap, tmp_path, runtime="kafka").start()
    try:
        assert worker.wait_until(lambda: _count(postgres_dsn)[0] == 400, 60), worker.log[-2000:]
        postgres_server.stop()
        _produce(kafka, source, range(400, 800))
        assert worker.wait_until(lambda: "unavailable, retrying" in worker.log, 30), worker.log[
            -2000:
        ]
        time.sleep(1)
        postgres_server.start()
        assert worker.wait_until(lambda: _count(postgres_dsn) == (800, 800), 60), worker.log[-2000:]
    finally:
        assert worker.terminate() == 0, worker.log[-2000:]
    assert "hunter2" not in worker.log

    # Down for longer than retry_for: the worker stops with one line and commits nothing.
    path.write_text(path.read_text().replace("retry_for: 60s", "retry_for: 2s"))
    worker = WorkerProcess(path, kafka.bootstrap, tmp_path, name="second", runtime="kafka").start()
    postgres_server.stop()
    try:
        _produce(kafka, source, range(800, 900))
        assert worker.wait_until(lambda: worker.proc.poll() is not None, 60), worker.log[-2000:]  # type: ignore[union-attr]
        assert worker.proc.returncode == 1  # type: ignore[union-attr]
        errors = [line for line in worker.log.splitlines() if line.startswith("error:")]
        assert (
            len(errors) == 1 and "sink rows still unavailable after 2s of retries" in errors[0]
        ), worker.log[-2000:]
        assert "hunter2" not in worker.log and "Traceback" not in worker.log
    finally:
        postgres_server.start()
    worker = WorkerProcess(path, kafka.bootstrap, tmp_path, name="third", runtime="kafka").start()
    try:
        assert worker.wait_until(lambda: _count(postgres_dsn) == (900, 900), 60), worker.log[-2000:]
        time.sleep(1)  # nothing more arrives: no batch was written twice
        assert _count(postgres_dsn) == (900, 900)
    finally:
        assert worker.terminate() == 0, worker.log[-2000:]
