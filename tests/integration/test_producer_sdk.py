"""The producer SDK on the real broker, checked by independent readers: plain confluent-kafka
with fastavro for Avro, kcat for JSON; partitions as aiokafka's (the Java) murmur2 puts them."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
import time
from io import BytesIO
from pathlib import Path
from typing import Any

import fastavro
import orjson
import pytest
from aiokafka.partitioner import DefaultPartitioner
from confluent_kafka import Consumer, TopicPartition
from kafka_kit import KafkaKit
from pydantic import BaseModel, Field, ValidationError

from stream_engine.producer import (
    AsyncEventProducer,
    Delivery,
    DeliveryError,
    EventProducer,
    InvalidEventError,
)
from stream_engine.producer.schema_model import model_from_avsc

SCHEMAS = Path(__file__).parents[2] / "schemas"
V2 = SCHEMAS / "page_view/v2.avsc"
PARTITIONS = 4


class Click(BaseModel):
    user_id: str
    url: str
    ms: int = Field(ge=0)


def _view(i: int) -> dict[str, Any]:
    return {
        "event_id": f"e{i}",
        "user_id": f"u{i % 7}",
        "event_type": "page_view",
        "url": f"/p{i}",
        "duration_ms": i * 10,
        "ts": 1_767_225_600_000 + i,
        "device": "mobile" if i % 2 else "desktop",
    }


def _java_partition(key: bytes, partitions: int = PARTITIONS) -> int:
    return int(DefaultPartitioner()(key, list(range(partitions)), list(range(partitions))))


def _consume_plain(bootstrap: str, topic: str, expected: int) -> list[Any]:
    """Read with a bare confluent-kafka consumer: nothing of stream_engine involved."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "plain-reader", "enable.auto.commit": False}
    )
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
        out: list[Any] = []
        deadline = time.monotonic() + 30
        while len(out) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error():
                out.append(msg)
        return out
    finally:
        consumer.close()


def test_avro_events_land_in_the_java_partition_and_decode_with_fastavro(
    kafka: KafkaKit,
) -> None:
    topic = kafka.topic("pv-avro", partitions=PARTITIONS)
    model = model_from_avsc(V2)
    events = [model.model_validate(_view(i)) for i in range(40)]
    with EventProducer(
        topic,
        format="avro",
        schema=V2,
        schema_dir=SCHEMAS,
        model=model,
        key_field="user_id",
        settings=kafka.settings,
    ) as producer:
        futures = [producer.send(event) for event in events]
    deliveries = [f.result(0) for f in futures]  # close() flushed: all are done

    messages = _consume_plain(kafka.bootstrap, topic, len(events))
    writer = fastavro.parse_schema(orjson.loads(V2.read_bytes()))
    by_id = {}
    for msg in messages:
        value = msg.value()
        assert value[:5] == b"\x00\x00\x00\x00\x02"  # magic byte, schema id 2 (v2)
        record = fastavro.schemaless_reader(BytesIO(value[5:]), writer)
        assert msg.key() == record["user_id"].encode()
        assert msg.partition() == _java_partition(msg.key())
        by_id[record["event_id"]] = (record, msg.partition(), msg.offset())
    assert len(by_id) == len(events)
    for event, delivery in zip(events, deliveries, strict=True):
        record, partition, offset = by_id[event.event_id]  # type: ignore[attr-defined]
        assert record == {**_view(int(event.event_id[1:])), "referrer": None}  # type: ignore[attr-defined]
        assert (delivery.partition, delivery.offset) == (partition, offset)
        assert delivery.topic == topic and delivery.key == record["user_id"].encode()


def test_json_events_read_by_kcat(kafka: KafkaKit) -> None:
    kcat = shutil.which("kcat")
    assert kcat is not None, "kcat is not installed: apt-get install -y kcat (.ci/run does)"
    topic = kafka.topic("clicks-json", partitions=PARTITIONS)
    clicks = [Click(user_id=f"user-{i % 5}", url=f"/{i}", ms=i) for i in range(25)]
    seen: list[Delivery] = []
    lock = threading.Lock()

    def on_delivery(delivery: Delivery | None, error: DeliveryError | None) -> None:
        assert error is None and delivery is not None
        with lock:
            seen.append(delivery)

    with EventProducer(topic, key_field="user_id", settings=kafka.settings) as producer:
        for click in clicks:
            producer.send(click, headers={"source": "test"}, on_delivery=on_delivery)
    assert len(seen) == len(clicks)

    out = subprocess.run(
        [kcat, "-b", kafka.bootstrap, "-C", "-t", topic, "-e", "-q", "-f", "%p\t%k\t%h\t%s\n"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    assert len(rows) == len(clicks)
    received = sorted((orjson.loads(value) for *_, value in rows), key=lambda r: r["ms"])
    assert received == [c.model_dump() for c in clicks]
    for partition, key, headers, value in rows:
        assert key == orjson.loads(value)["user_id"]
        assert int(partition) == _java_partition(key.encode())
        assert headers == "source=test"


def test_asyncio_producer(kafka: KafkaKit) -> None:
    topic = kafka.topic("clicks-async", partitions=PARTITIONS)

    async def run() -> tuple[list[Delivery], Delivery]:
        async with AsyncEventProducer(
            topic, model=Click, key_field="user_id", settings=kafka.settings
        ) as producer:
            queued = [
                await producer.send({"user_id": f"a{i}", "url": "/", "ms": i}) for i in range(10)
            ]
            one = await producer.send_and_wait(Click(user_id="solo", url="/x", ms=99))
            return list(await asyncio.gather(*queued)), one

    many, one = asyncio.run(run())
    assert [d.key for d in many] == [f"a{i}".encode() for i in range(10)]
    assert one.key == b"solo" and one.partition == _java_partition(b"solo")
    values = [orjson.loads(m.value) for m in kafka.read_all(topic, expected=11)]  # type: ignore[arg-type]
    assert sorted(v["ms"] for v in values) == [*range(10), 99]


def test_invalid_events_raise_before_anything_is_sent(kafka: KafkaKit) -> None:
    topic = kafka.topic("clicks-invalid")
    with EventProducer(topic, model=Click, key_field="user_id", settings=kafka.settings) as p:
        with pytest.raises(ValidationError):
            p.send(Click(user_id="u1", url="/", ms=-5))
        with pytest.raises(InvalidEventError) as info:
            p.send({"user_id": "u2", "url": "/", "ms": "soon"})
        assert (info.value.topic, info.value.key) == (topic, b"u2")
        with pytest.raises(InvalidEventError):
            p.send({"user_id": "u3", "url": "/", "ms": 1, "extra": 1}, key=[1])
    avro = EventProducer(
        topic, format="avro", schema=V2, schema_id=2, key_field="user_id", settings=kafka.settings
    )
    with avro, pytest.raises(InvalidEventError, match=r"field clickstream\.PageView\.ts"):
        avro.send({**_view(1), "ts": "yesterday"})
    time.sleep(1)  # anything wrongly sent would be there by now
    assert kafka.read_all(topic) == []


def test_delivery_to_a_missing_topic_fails_with_topic_and_key_in_bounded_time(
    kafka: KafkaKit,
) -> None:
    missing = kafka.unique("no-such-topic")
    errors: list[DeliveryError | None] = []
    began = time.monotonic()
    with EventProducer(
        missing,
        key_field="user_id",
        settings=kafka.settings,
        config={"message.timeout.ms": 2000},
    ) as producer:
        future = producer.send(
            Click(user_id="u9", url="/", ms=1), on_delivery=lambda _d, e: errors.append(e)
        )
        with pytest.raises(DeliveryError) as info:
            future.result(timeout=15)
    assert time.monotonic() - began < 10
    error = info.value
    assert (error.topic, error.key) == (missing, b"u9")
    assert f"topic {missing!r}" in str(error) and "key 'u9'" in str(error)
    assert error.code in ("_MSG_TIMED_OUT", "_UNKNOWN_TOPIC")
    assert errors == [error]
    assert missing not in kafka.admin.list_topics(timeout=10).topics  # not auto-created
