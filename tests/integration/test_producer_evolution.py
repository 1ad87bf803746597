"""Schema evolution end to end: v1 and v2 SDK producers share a topic; `stream-engine worker`
pipelines read it with the v2 and with the v1 reader schema (Avro resolution), and records
without a usable writer schema become `schema` dead letters, never a crash."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka_kit import KafkaKit
from worker_kit import WorkerProcess, metric_sum

from stream_engine.producer import EventProducer
from stream_engine.serde import make_encoder

SCHEMAS = Path(__file__).parents[2] / "schemas"

PIPELINE = """
pipeline: {name}
version: 1
worker: {{batch_size: 100, batch_wait: 100ms}}
sources:
  views:
    topic: {source}
    format: avro
    wire_format: true
    schema_dir: {schemas}
    schema: {reader}
    key: user_id
sinks:
  out: {{topic: {sink}}}
dead_letter: {{topic: {dlq}}}
"""

# A PageView whose user_id is a long: registered, but no PageView reader can resolve it.
CLASHING = {
    "type": "record",
    "name": "PageView",
    "namespace": "clickstream",
    "fields": [{"name": "user_id", "type": "long"}],
}
UNKNOWN_ID, CLASHING_ID = 99, 77


def _v1(i: int) -> dict[str, Any]:
    return {
        "event_id": f"v1-{i}",
        "user_id": f"u{i}",
        "event_type": "page_view",
        "url": "/old",
        "duration_ms": 100 + i,
        "ts": 1_767_225_600_000 + i,
    }


def _v2(i: int) -> dict[str, Any]:
    return {
        **_v1(i),
        "event_id": f"v2-{i}",
        "url": "/new",
        "referrer": f"https://ref/{i}" if i % 2 else None,
        "device": "tablet",
    }


@pytest.fixture
def schema_dir(tmp_path: Path) -> Path:
    """The repo's schemas plus one registered schema that clashes with PageView."""
    directory = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, directory)
    (directory / "clashing.avsc").write_bytes(orjson.dumps(CLASHING))
    with (directory / "registry.yaml").open("a") as index:
        index.write(f"{CLASHING_ID}: clashing.avsc\n")
    return directory


def test_v1_and_v2_records_read_with_either_reader_schema(
    kafka: KafkaKit, tmp_path: Path, schema_dir: Path
) -> None:
    source = kafka.topic("pv-evolve", partitions=2)
    for version in ("v1", "v2"):
        with EventProducer(
            source,
            format="avro",
            schema=SCHEMAS / f"page_view/{version}.avsc",
            schema_dir=SCHEMAS,
            key_field="user_id",
            settings=kafka.settings,
        ) as producer:
            for i in range(3):
                producer.send(_v1(i) if version == "v1" else _v2(i))
    body = make_encoder("avro", schema=SCHEMAS / "page_view/v1.avsc").encode(_v1(9))
    unknown = b"\x00" + UNKNOWN_ID.to_bytes(4, "big") + body
    clashing = make_encoder("avro", schema=schema_dir / "clashing.avsc", schema_id=CLASHING_ID)
    kafka.produce(source, [("u9", unknown), ("u8", clashing.encode({"user_id": 8}))])

    workers, names = {}, {}
    for version in ("v1", "v2"):
        t = names[version] = {
            "name": kafka.unique(f"evolve-{version}"),
            "sink": kafka.unique(f"out-{version}"),
            "dlq": kafka.unique(f"dlq-{version}"),
        }
        kafka.created += [t["sink"], t["dlq"]]
        pipeline = tmp_path / f"pipeline-{version}.yaml"
        pipeline.write_text(
            PIPELINE.format(
                **t,
                source=source,
                schemas=schema_dir,
                reader=SCHEMAS / f"page_view/{version}.avsc",
            )
        )
        workers[version] = WorkerProcess(pipeline, kafka.bootstrap, tmp_path, version).start()
    try:
        for worker in workers.values():
            assert worker.wait_until(
                lambda w=worker: metric_sum(w.metrics(), "stream_engine_records_in_total") >= 8
            ), worker.log[-3000:]
        out = {v: kafka.read_all(names[v]["sink"], expected=6) for v in workers}
        dead = {v: kafka.read_all(names[v]["dlq"], expected=2) for v in workers}
    finally:
        for worker in workers.values():
            assert worker.terminate() == 0, worker.log[-3000:]

    def records(version: str) -> dict[str, Any]:
        return {r["event_id"]: r for r in (orjson.loads(m.value) for m in out[version])}  # type: ignore[arg-type]

    # Read as v2: v1 records get v2's defaults.
    assert records("v2") == {
        **{f"v1-{i}": {**_v1(i), "referrer": None, "device": "unknown"} for i in range(3)},
        **{f"v2-{i}": _v2(i) for i in range(3)},
    }
    # Read as v1: v2's extra fields are dropped.
    assert records("v1") == {
        **{f"v1-{i}": _v1(i) for i in range(3)},
        **{f"v2-{i}": {**_v1(i), "event_id": f"v2-{i}", "url": "/new"} for i in range(3)},
    }
    for version in workers:
        letters = {m.key: m for m in dead[version]}
        assert set(letters) == {b"u9", b"u8"}
        assert letters[b"u9"].value == unknown  # the original bytes, unchanged
        for letter in letters.values():
            assert letter.header("dlq.reason") == b"schema"
            assert letter.header("dlq.source.topic") == source.encode()
        assert f"unknown schema id {UNKNOWN_ID}".encode() in (
            letters[b"u9"].header("dlq.message") or b""
        )
        assert b"cannot be resolved to the reader schema" in (
            letters[b"u8"].header("dlq.message") or b""
        )
