"""A bounded range of a topic as a dataset: `kafka://topic?from=...&to=...&format=...`.

Bounds are written as for `stream-engine replay` (stream_engine.spec.replay_bounds):
`earliest` (from only), `latest` (to only), `now`, an ISO-8601 time (the first message at
or after it), a duration ago (`24h`) or offsets per partition (`0:120,1:80`; partitions not
named take the default bound). `from` is inclusive and defaults to `earliest`; `to` is
exclusive and defaults to `latest`, the end of each partition when the read starts. No
consumer group is joined and nothing is committed, so live workers are never disturbed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
from confluent_kafka import Consumer, KafkaException, TopicPartition

from connectors.kafka_admin import wait_for_cluster
from connectors.kafka_config import consumer_config
from connectors.kafka_reader import ConsumedMessage, end_offsets, fetch_ranges, to_consumed
from stream_engine.errors import BrokerError, ConfigError, DecodeError
from stream_engine.quality.sources.base import Dataset
from stream_engine.quality.sources.uri import parse_uri
from stream_engine.serde.base import Decoder
from stream_engine.serde.factory import make_decoder
from stream_engine.settings import Settings
from stream_engine.spec.replay_bounds import Bound, parse_bound

PARAMS = ("from", "to", "format", "schema", "schema_dir")
MAX_PROBLEMS = 1000
"""Undecodable messages kept with their reason; the rest are only counted."""


@dataclass(frozen=True)
class TopicRange:
    topic: str
    start: Bound
    end: Bound
    decoder: Decoder
    label: str


def parse_range_bound(text: str, name: str, uri: str, now_ms: int) -> Bound:
    """One end of the range, with the URI in the error message."""
    try:
        return parse_bound(text, now_ms, f"--{name}")
    except ConfigError as exc:
        message = str(exc).removeprefix(f"--{name} ")
        raise ConfigError(f"{uri}: {name}={message}") from None


def parse_topic_range(text: str) -> TopicRange:
    """`kafka://topic?...` (the cluster from KAFKA_BOOTSTRAP_SERVERS); decoders load now."""
    uri = parse_uri(text, PARAMS)
    topic = uri.netloc
    if not topic or uri.path not in ("", "/"):
        raise ConfigError(f"{text}: expected kafka://TOPIC?from=...&to=...")
    params = uri.params
    fmt = params.get("format", "json")
    if fmt not in ("json", "avro"):
        raise ConfigError(f"{text}: format={fmt!r}: expected json or avro")
    schema_dir = params.get("schema_dir")
    decoder = make_decoder(
        fmt,  # type: ignore[arg-type]
        schema=params.get("schema"),
        schema_dir=schema_dir,
        wire_format=schema_dir is not None,
    )
    now_ms = int(time.time() * 1000)
    start = parse_range_bound(params.get("from", "earliest"), "from", text, now_ms)
    end = parse_range_bound(params.get("to", "latest"), "to", text, now_ms)
    return TopicRange(topic, start, end, decoder, f"kafka://{topic}")


def read_topic_range(text: str, settings: Settings, idle_timeout_s: float = 30) -> Dataset:
    """Every message of the range, decoded; undecodable ones are listed as problems."""
    spec = parse_topic_range(text)
    values: list[dict[str, Any]] = []
    origins: list[str] = []
    problems: list[dict[str, Any]] = []
    failed = 0
    for msg in _consume(spec, settings, idle_timeout_s):
        origin = f"{msg.partition}:{msg.offset}"
        try:
            values.append(spec.decoder.decode(msg.value))
        except DecodeError as exc:
            failed += 1
            if len(problems) < MAX_PROBLEMS:
                problems.append({"origin": origin, "message": str(exc)})
            continue
        origins.append(origin)
    frame = pd.DataFrame.from_records(values) if values else pd.DataFrame()
    return Dataset(frame, spec.topic, spec.label, origins, problems, failed)


def _consume(spec: TopicRange, settings: Settings, idle_timeout_s: float) -> list[ConsumedMessage]:
    # As every command: one line naming the address, not librdkafka's connection log lines.
    wait_for_cluster(settings, timeout_s=idle_timeout_s)
    consumer = Consumer(consumer_config(settings, None, **{"group.id": "stream-engine.validate"}))
    try:
        try:
            ranges = _resolve(consumer, spec)
        except KafkaException as exc:
            raise BrokerError(f"cannot read topic {spec.topic!r}: {exc}") from None
        return _read(consumer, spec.topic, ranges, idle_timeout_s)
    finally:
        consumer.close()


def _resolve(consumer: Consumer, spec: TopicRange) -> dict[int, tuple[int, int]]:
    """[start, end) offsets per partition, clamped to what the partition holds now."""
    watermarks = end_offsets(consumer, spec.topic)
    for bound, name in ((spec.start, "from"), (spec.end, "to")):
        unknown = sorted(set(bound.offset_map) - set(watermarks))
        if unknown:
            raise ConfigError(
                f"{spec.label}: {name} names partition {unknown[0]}, but the topic has "
                f"partitions 0..{max(watermarks)}"
            )
    starts = _offsets(consumer, spec.topic, spec.start, watermarks, default="earliest")
    ends = _offsets(consumer, spec.topic, spec.end, watermarks, default="latest")
    return {p: (starts[p], ends[p]) for p in watermarks if ends[p] > starts[p]}


def _offsets(
    consumer: Consumer,
    topic: str,
    bound: Bound,
    watermarks: dict[int, tuple[int, int]],
    default: str,
) -> dict[int, int]:
    if bound.time_ms is not None:
        asked = [TopicPartition(topic, p, bound.time_ms) for p in watermarks]
        found = consumer.offsets_for_times(asked, timeout=10)
        # -1: no message at or after the time, so the range starts (or ends) at the end.
        return {tp.partition: tp.offset if tp.offset >= 0 else watermarks[tp.partition][1]
                for tp in found}  # fmt: skip
    out = {}
    for p, (low, high) in watermarks.items():
        kind = bound.kind
        if kind == "offsets":
            wanted = bound.offset_map.get(p)
            if wanted is not None:
                out[p] = min(max(wanted, low), high)
                continue
            kind = default  # type: ignore[assignment]
        out[p] = low if kind == "earliest" else high
    return out


def _read(
    consumer: Consumer, topic: str, ranges: dict[int, tuple[int, int]], idle_timeout_s: float
) -> list[ConsumedMessage]:
    by_partition: dict[int, list[ConsumedMessage]] = {p: [] for p in ranges}
    for got, _ in fetch_ranges(consumer, topic, ranges, to_consumed, stall_s=idle_timeout_s):
        for partition, messages in got.items():
            by_partition[partition].extend(messages)
    return [m for p in sorted(by_partition) for m in by_partition[p]]
