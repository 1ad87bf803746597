"""A worker writing DuckDB tables, window results and Parquet files, on both runtimes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import orjson
import pyarrow.parquet as pq
from kafka_kit import KafkaKit
from worker_kit import WorkerProcess

PIPELINE = """
pipeline: {name}
version: 1
worker: {{batch_size: 100, batch_wait: 50ms}}
sources:
  views: {{topic: {source}, key: user, event_time: ts}}
sinks:
  latest:
    type: duckdb
    path: warehouse.duckdb
    table: latest_view
    mode: upsert
    key: user
    fields: [page, ts]
  archive: {{type: parquet, path: archive, partition_by: date, fields: [user, page]}}
windows:
  per_day:
    type: tumbling
    size: 1d
    key: user
    aggregate: {{views: count}}
    emit: update
    sink:
      topic: {results}
      table: {{type: duckdb, path: warehouse.duckdb, table: views_per_day}}
dead_letter: {{topic: {dlq}}}
"""
DAY = 86_400_000
T0 = 1_704_067_200_000  # 2024-01-01


def test_tables_windows_and_parquet_from_a_worker(
    kafka: KafkaKit, tmp_path: Path, runtime: str
) -> None:
    source = kafka.topic("views", partitions=2)
    results, dlq = kafka.unique("results"), kafka.unique("dlq")
    kafka.created += [results, dlq]
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        PIPELINE.format(name=kafka.unique("p"), source=source, results=results, dlq=dlq)
    )
    # in time order over two days, so no record is late for its window
    events = [{"user": f"u{i % 3}", "page": f"/p{i}", "ts": T0 + i * DAY // 20} for i in range(40)]
    records = [(e["user"].encode(), orjson.dumps(e)) for e in events]
    records.append((b"u0", orjson.dumps({"page": "/nokey", "ts": T0})))  # no user: dead letter
    kafka.produce(source, records)
    worker = WorkerProcess(path, kafka.bootstrap, tmp_path, runtime=runtime).start()
    try:
        letters = kafka.read_all(dlq, expected=2, timeout_s=60, alive=worker.proc)
        assert worker.wait_until(lambda: len(list((tmp_path / "archive").rglob("*.parquet"))) >= 2)
        kafka.read_all(results, expected=1, timeout_s=30)
    finally:
        assert worker.terminate() == 0, worker.log[-3000:]
    reasons = sorted((m.header("dlq.stage"), m.header("dlq.reason")) for m in letters)
    # the upsert sink and the window both need the key
    assert reasons == [(b"sink", b"sink_error"), (b"window", b"eval_error")]
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    latest = {
        u: (p, ts) for u, p, ts in con.execute("SELECT user, page, ts FROM latest_view").fetchall()
    }
    expected_latest: dict[str, tuple[str, int]] = {}
    for e in events:
        expected_latest[e["user"]] = (e["page"], e["ts"])  # the last of each key wins
    assert latest == expected_latest
    per_day = {
        (k, s): n
        for k, s, n in con.execute("SELECT key, window_start, views FROM views_per_day").fetchall()
    }
    expected: dict[tuple[str, int], int] = {}
    for e in events:
        start = e["ts"] - e["ts"] % DAY
        expected[(e["user"], start)] = expected.get((e["user"], start), 0) + 1
    assert per_day == expected
    archived = pq.ParquetDataset(tmp_path / "archive").read().to_pylist()
    by_day: dict[str, list[str]] = {}
    for row in archived:  # the partition folders are the events' UTC dates
        by_day.setdefault(str(row["date"]), []).append(row["page"])
    expected_days: dict[str, list[str]] = {}
    for e in [*events, {"page": "/nokey", "ts": T0}]:
        day = dt.datetime.fromtimestamp(int(e["ts"]) / 1000, dt.UTC).date().isoformat()
        expected_days.setdefault(day, []).append(str(e["page"]))
    assert {d: sorted(p) for d, p in by_day.items()} == {
        d: sorted(p) for d, p in expected_days.items()
    }
