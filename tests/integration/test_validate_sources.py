"""`stream-engine validate` on a real topic range, a real PostgreSQL table and a DuckDB file.

Expected numbers are worked out from the rows each test writes; reference values come
from a real compacted topic with a tombstone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import orjson
import psycopg
import pytest
from confluent_kafka import Producer
from kafka_kit import KafkaKit
from typer.testing import CliRunner

from connectors.kafka_config import producer_config
from stream_engine.cli.main import app
from stream_engine.devbroker import free_port
from stream_engine.serde.factory import make_encoder

T0 = 1_780_000_000_000  # ms, 2026-05-28T20:26:40Z
RULES = """
tables:
  orders:
    schema:
      - {column: id, type: int, nullable: false}
      - {column: name, type: string, nullable: false}
    checks:
      - {type: range, column: amount, min: 0, max: 100}
"""


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, ["validate", *args, "--no-history"], env=env)


def results(output: str) -> dict[str, dict[str, Any]]:
    return {r["rule"]: r for r in json.loads(output)["results"]}


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


def produce(
    kafka: KafkaKit, topic: str, records: list[tuple[int, int, bytes | None, bytes]]
) -> None:
    """(partition, timestamp ms, key, value) in order."""
    producer = Producer(producer_config(kafka.settings))
    for partition, ts, key, value in records:
        producer.produce(topic, value=value, key=key, partition=partition, timestamp=ts)
    assert producer.flush(30) == 0


def order(i: int, amount: float, name: str | None = "n") -> bytes:
    return orjson.dumps({"id": i, "name": name, "amount": amount})


def test_kafka_offset_and_time_ranges(kafka: KafkaKit, rules: Path) -> None:
    topic = kafka.topic("validate", partitions=2)
    produce(kafka, topic, [
        (0, T0 + 0, None, order(1, 10)),
        (0, T0 + 1000, None, order(2, -5)),     # offset 1: out of range
        (0, T0 + 2000, None, order(3, 20, None)),  # offset 2: null name
        (0, T0 + 3000, None, order(4, 500)),    # offset 3: out of range
        (0, T0 + 4000, None, order(5, 30)),
        (1, T0 + 500, None, order(6, 40)),
        (1, T0 + 1500, None, b"{not json"),     # 1:1 cannot be decoded
        (1, T0 + 2500, None, order(8, 150)),    # 1:2 out of range
    ])  # fmt: skip
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap}
    # Offsets: partition 0 from 1 up to (not including) 4; partition 1 whole.
    out = invoke(f"kafka://{topic}?from=0:1&to=0:4", str(rules), "--format", "json", env=env)
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert (doc["table"], doc["rows"], doc["source"]) == ("orders", 5, f"kafka://{topic}")
    got = results(out.stdout)
    assert got["range.amount"]["failing"] == 3
    assert [(s["row"], s["origin"], s["values"]) for s in got["range.amount"]["samples"]] == [
        (0, "0:1", {"amount": -5}),
        (2, "0:3", {"amount": 500}),
        (4, "1:2", {"amount": 150}),
    ]
    assert (
        got["schema.name"]["failing"] == 1 and got["schema.name"]["samples"][0]["origin"] == "0:2"
    )
    decode = got["decode"]
    assert (decode["failing"], decode["rows"], decode["passed"]) == (1, 6, False)
    assert decode["samples"][0]["origin"] == "1:1"
    # Time: [T0+1s, T0+2.5s) is offsets 1-2 of partition 0 and offset 1 of partition 1.
    start, end = "2026-05-28T20:26:41Z", "2026-05-28T20:26:42.500Z"
    out = invoke(f"kafka://{topic}?from={start}&to={end}", str(rules), "--format", "json", env=env)
    assert out.exit_code == 0, out.output
    got = results(out.stdout)
    assert json.loads(out.stdout)["rows"] == 2
    assert [s["origin"] for s in got["range.amount"]["samples"]] == ["0:1"]
    assert got["decode"]["failing"] == 1
    # A bound past a partition's end reads to the end; --fail-on-error fails on the range.
    out = invoke(f"kafka://{topic}?from=0:3,1:3", str(rules), "--fail-on-error", env=env)
    assert out.exit_code == 1
    assert "0 rows" not in out.stdout and "orders: 2 rows from" in out.stdout
    missing = invoke(f"kafka://{topic}-nope", str(rules), env=env)
    assert (
        missing.exit_code == 1 and missing.stderr == f"error: topic '{topic}-nope' does not exist\n"
    )
    bad_partition = invoke(f"kafka://{topic}?from=7:0", str(rules), env=env)
    assert bad_partition.exit_code == 2
    assert "from names partition 7, but the topic has partitions 0..1" in bad_partition.stderr


def test_kafka_avro_values(kafka: KafkaKit, rules: Path, tmp_path: Path) -> None:
    schema = tmp_path / "order.avsc"
    schema.write_text(json.dumps({
        "type": "record", "name": "order",
        "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": ["null", "string"]},
                   {"name": "amount", "type": "double"}],
    }))  # fmt: skip
    encoder = make_encoder("avro", schema=schema)
    topic = kafka.topic("validate-avro", partitions=1)
    values = [{"id": 1, "name": None, "amount": 5.0}, {"id": 2, "name": "b", "amount": 101.0}]
    produce(kafka, topic, [(0, T0, None, encoder.encode(v)) for v in values])
    uri = f"kafka://{topic}?format=avro&schema={schema}"
    out = invoke(
        uri, str(rules), "--format", "json", env={"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap}
    )
    assert out.exit_code == 0, out.output
    got = results(out.stdout)
    assert (got["schema.name"]["failing"], got["range.amount"]["failing"]) == (1, 1)
    assert "decode" not in got


def test_reference_from_a_compacted_topic(kafka: KafkaKit, tmp_path: Path) -> None:
    users = kafka.topic("users", partitions=1, config={"cleanup.policy": "compact"})
    produce(kafka, users, [
        (0, T0, b"1", b'{"name": "a"}'),
        (0, T0, b"2", b'{"name": "b"}'),
        (0, T0, b"3", b'{"name": "c"}'),
    ])  # fmt: skip
    kafka.produce(users, [(b"2", None)])  # tombstone: user 2 is gone
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "tables:\n  orders:\n    checks:\n"
        f"      - {{type: referential_integrity, column: user_id, reference: {{topic: {users}}}}}\n"
    )
    data = tmp_path / "orders.jsonl"
    data.write_text("".join(json.dumps({"user_id": u}) + "\n" for u in (1, 2, 3, 4, None)))
    out = invoke(str(data), str(rules), "--format", "json",
                 env={"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap})  # fmt: skip
    assert out.exit_code == 0, out.output
    check = results(out.stdout)["referential_integrity.user_id"]
    assert check["failing"] == 2
    assert [s["values"] for s in check["samples"]] == [{"user_id": 2}, {"user_id": 4}]


PG_RULES = """
tables:
  orders:
    schema:
      - {column: id, type: int, nullable: false}
      - {column: name, type: string, nullable: false}
      - {column: amount, type: decimal}
      - {column: paid, type: bool, nullable: false}
      - {column: created, type: timestamp, nullable: false}
      - {column: day, type: date}
    checks:
      - {type: range, column: amount, min: 0, max: 100}
      - {type: uniqueness, column: id}
      - {type: freshness, column: created, max_age: 1h}
"""


def test_postgresql_table(postgres_dsn: str, tmp_path: Path) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE orders (id int, name text, amount numeric(10, 2), paid bool, "
            "created timestamptz, day date, tags text[])"
        )
        conn.execute(
            "INSERT INTO orders VALUES "
            "(1, 'a', 10.50, true, '2026-05-01 10:00:00+02', '2026-05-01', '{x,y}'),"
            "(2, '', -1.25, false, '2026-05-01 09:00:00+00', NULL, NULL),"
            "(2, NULL, 100.00, true, '2026-05-01 08:30:00+00', '2026-04-30', '{}'),"
            "(4, 'd', NULL, false, '2026-04-30 23:59:59.5+00', '2026-04-29', NULL)"
        )
    rules = tmp_path / "rules.yaml"
    rules.write_text(PG_RULES)
    out = invoke(f"{postgres_dsn}?table=orders", str(rules), "--format", "json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["rows"] == 4 and doc["source"] == f"{postgres_dsn} table orders"
    got = results(out.stdout)
    failing = {rule: r["failing"] for rule, r in got.items() if rule != "freshness.created"}
    assert failing == {
        "schema.id": 0, "schema.name": 1,  # NULL fails; the empty string is a value
        "schema.amount": 0, "schema.paid": 0, "schema.created": 0, "schema.day": 0,
        "range.amount": 1, "uniqueness.id": 1,
    }  # fmt: skip
    assert got["range.amount"]["samples"][0]["values"] == {"amount": "-1.25"}
    # The newest row is 2026-05-01T09:00:00Z (10:00+02 and 09:00+00 are the same instant).
    assert got["freshness.created"]["details"]["newest_ms"] == 1_777_626_000_000
    by_table = invoke(postgres_dsn, str(rules), "--table", "orders", "--format", "json")
    assert by_table.exit_code == 0 and json.loads(by_table.stdout)["rows"] == 4
    unknown = invoke(f"{postgres_dsn}?table=nope", str(rules))
    assert unknown.exit_code == 1
    assert unknown.stderr == f"error: {postgres_dsn} table nope: no such table\n"


def test_duckdb_table(tmp_path: Path, rules: Path) -> None:
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders (id BIGINT, name VARCHAR, amount DOUBLE)")
    con.execute(
        "INSERT INTO orders VALUES (1, 'a', 5), (2, NULL, 101), (NULL, 'c', -1), (4, 'd', 7)"
    )
    con.close()
    for args in (
        [str(path), str(rules), "--table", "orders"],
        [f"duckdb://{path}?table=orders", str(rules)],
    ):
        out = invoke(*args, "--format", "json")
        assert out.exit_code == 0, out.output
        got = results(out.stdout)
        assert {r: v["failing"] for r, v in got.items()} == {
            "schema.id": 1,
            "schema.name": 1,
            "range.amount": 2,
        }
        assert json.loads(out.stdout)["source"] == f"duckdb {path} table orders"
    missing_table = invoke(f"duckdb://{path}?table=nope", str(rules), "--table", "orders")
    assert missing_table.exit_code == 1
    assert missing_table.stderr == f"error: {path}: no table 'nope'\n"


def test_cli_process_errors_are_one_line_with_documented_codes(tmp_path: Path, rules: Path) -> None:
    """As users run it: a real process, stderr one line, exit 2 for usage and 1 for I/O."""
    port = free_port()
    cases = [
        ([f"postgresql://u:secret@127.0.0.1:{port}/db?table=t", str(rules)], 1,
         f"error: cannot connect to postgresql://u:***@127.0.0.1:{port}/db table t: "),
        (["kafka://t?from=whenever", str(rules)], 2, "error: kafka://t?from=whenever: from="),
        ([str(tmp_path / "none.parquet"), str(rules)], 2,
         f"error: {tmp_path / 'none.parquet'}: no such file or folder"),
    ]  # fmt: skip
    for args, code, start in cases:
        done = subprocess.run(
            [sys.executable, "-m", "stream_engine", "validate", *args, "--no-history"],
            capture_output=True, text=True, timeout=60, check=False,
            env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"},
        )  # fmt: skip
        assert done.returncode == code, done.stderr
        assert done.stderr.startswith(start), done.stderr
        assert len(done.stderr.splitlines()) == 1 and "secret" not in done.stderr
