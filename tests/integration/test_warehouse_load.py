"""`stream-engine load`: data files into a topic on the real broker, exactly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from kafka_kit import KafkaKit


def _load(kafka: KafkaKit, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap}
    return subprocess.run(
        [sys.executable, "-m", "stream_engine", "load", *args],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_parquet_folder_and_a_bad_csv_row(kafka: KafkaKit, tmp_path: Path) -> None:
    folder = tmp_path / "orders"
    (folder / "date=2024-01-01").mkdir(parents=True)
    (folder / "date=2024-01-02").mkdir()
    (folder / "_SUCCESS").write_text("")
    pq.write_table(
        pa.table({"order_id": [1, 2], "amount": [2.5, 4.0], "ts": [1_704_067_200_000] * 2}),
        folder / "date=2024-01-01" / "part-0.parquet",
    )
    pq.write_table(
        pa.table({"order_id": [3], "amount": [1.0], "ts": [1_704_153_600_000]}),
        folder / "date=2024-01-02" / "part-0.parquet",
    )
    topic = kafka.topic("orders", partitions=2)
    done = _load(kafka, str(folder), "--topic", topic, "--key", "order_id", "--timestamp", "ts")
    assert done.returncode == 0, done.stderr
    assert f"sent 3 rows from {folder} to {topic} (json)" in done.stdout
    messages = sorted(kafka.read_all(topic, expected=3), key=lambda m: m.key or b"")
    assert [(m.key, orjson.loads(m.value or b""), m.timestamp) for m in messages] == [
        (b"1", {"order_id": 1, "amount": 2.5, "ts": 1_704_067_200_000}, 1_704_067_200_000),
        (b"2", {"order_id": 2, "amount": 4.0, "ts": 1_704_067_200_000}, 1_704_067_200_000),
        (b"3", {"order_id": 3, "amount": 1.0, "ts": 1_704_153_600_000}, 1_704_153_600_000),
    ]

    schema = tmp_path / "order.avsc"
    schema.write_text(
        orjson.dumps(
            {
                "type": "record",
                "name": "Order",
                "fields": [
                    {"name": "order_id", "type": "long"},
                    {"name": "amount", "type": "double"},
                ],
            }
        ).decode()
    )
    lines = tmp_path / "orders.jsonl"
    lines.write_text('{"order_id": 7, "amount": 1.5}\n{"order_id": 8, "amount": "oops"}\n')
    avro_topic = kafka.topic("orders-avro")
    done = _load(
        kafka, str(lines), "--topic", avro_topic, "--format", "avro", "--schema", str(schema),
        "--schema-id", "7",
    )  # fmt: skip
    assert done.returncode == 1
    assert "sent 1 rows" in done.stdout and "failed 1" in done.stdout
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"{lines}: row 1: ")
    (message,) = kafka.read_all(avro_topic, expected=1)
    assert (message.value or b"")[:5] == b"\x00\x00\x00\x00\x07"  # wire format, schema id 7
