"""The reference workload: generated JSON events, a reference table, and the pipeline file.

Everything is deterministic for a given seed, so every contender and every run sees the
same input and the expected output counts are known before anything runs.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
from confluent_kafka import Producer

from connectors.kafka_config import producer_config
from stream_engine.settings import Settings

KINDS = ("view", "click", "purchase", "bot")
KIND_WEIGHTS = (50, 30, 12, 8)
DEVICES = ("mobile", "desktop", "tablet")
COUNTRIES = ("DE", "FR", "US", "GB", "NL", "ES", "IT", "PL", "SE", "BR")
SEGMENTS = ("bronze", "silver", "gold", "platinum")
REGIONS = ("emea", "amer", "apac")

# The pipeline every processing contender implements: (c) by hand, (d) from this file.
FILTER_EXPR = "amount >= 0 and kind != 'bot'"
MAP_COLUMNS = {"amount_cents": "amount * 100", "kind_upper": "upper(kind)"}
ENRICH_FIELDS = ("segment", "tier")


def user_key(i: int) -> str:
    return f"u-{i:05d}"


@dataclass(frozen=True)
class Workload:
    events: int
    users: int = 10_000
    bad_ratio: float = 0.01
    seed: int = 7

    def reference_rows(self) -> Iterator[tuple[bytes, bytes]]:
        """(key, value) of every reference row: one per user, all present in the table."""
        rng = random.Random(self.seed + 1)
        for i in range(self.users):
            row = {
                "user_id": user_key(i),
                "segment": rng.choice(SEGMENTS),
                "tier": rng.randint(1, 5),
                "region": rng.choice(REGIONS),
                "since": f"20{rng.randint(15, 24)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            }
            yield user_key(i).encode(), orjson.dumps(row)

    def events_iter(self) -> Iterator[tuple[bytes, bytes, str]]:
        """(key, value, kind) per event; kind is "pass", "filtered" or "bad" (undecodable)."""
        rng = random.Random(self.seed)
        base_ts = 1_700_000_000_000
        bad_every = round(1 / self.bad_ratio) if self.bad_ratio > 0 else 0
        for i in range(self.events):
            uid = user_key(rng.randrange(self.users))
            if bad_every and i % bad_every == bad_every // 2:
                yield uid.encode(), _bad_value(i, uid), "bad"
                continue
            kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
            amount = round(rng.uniform(-5.0, 195.0), 2)
            event = {
                "event_id": f"ev-{i:010d}",
                "user_id": uid,
                "kind": kind,
                "amount": amount,
                "currency": "EUR",
                "page": f"/catalog/item/{rng.randrange(100_000)}",
                "device": rng.choice(DEVICES),
                "country": rng.choice(COUNTRIES),
                "ts": base_ts + i * 3,
                "session": f"{rng.getrandbits(48):012x}",
            }
            passes = amount >= 0 and kind != "bot"
            yield uid.encode(), orjson.dumps(event), "pass" if passes else "filtered"


def _bad_value(i: int, uid: str) -> bytes:
    """Three flavours of undecodable record, all dead-lettered by the processing contenders."""
    flavour = (i // 100) % 3
    if flavour == 0:  # truncated JSON
        return f'{{"event_id": "ev-{i:010d}", "user_id": "{uid}", "kind": "cli'.encode()
    if flavour == 1:  # not UTF-8
        return b'{"event_id": "\xff\xfe", "user_id": "' + uid.encode() + b'"}'
    return f'["ev-{i:010d}", "{uid}"]'.encode()  # valid JSON, not an object


@dataclass(frozen=True)
class Expected:
    events: int
    passed: int  # records that reach the sink of a processing contender
    bad: int  # dead letters
    avg_bytes: float


def _producer(settings: Settings) -> Producer:
    return Producer(
        producer_config(
            settings,
            **{
                "linger.ms": 50,
                "batch.num.messages": 10_000,
                "queue.buffering.max.messages": 1_000_000,
                "queue.buffering.max.kbytes": 1_048_576,
            },
        )
    )


def _produce_all(producer: Producer, topic: str, records: Iterator[tuple[bytes, bytes]]) -> None:
    produce, poll = producer.produce, producer.poll
    for n, (key, value) in enumerate(records):
        while True:
            try:
                produce(topic, value, key)
                break
            except BufferError:
                poll(0.05)
        if n % 10_000 == 0:
            poll(0)
    remaining = producer.flush(120)
    if remaining:
        raise RuntimeError(f"{remaining} records were not delivered to {topic}")


def fill_input(settings: Settings, work: Workload, topic: str) -> Expected:
    """Produce every event to `topic` and return what the contenders must output."""
    counts = {"pass": 0, "filtered": 0, "bad": 0}
    size = 0

    def records() -> Iterator[tuple[bytes, bytes]]:
        nonlocal size
        for key, value, kind in work.events_iter():
            counts[kind] += 1
            size += len(value)
            yield key, value

    _produce_all(_producer(settings), topic, records())
    return Expected(work.events, counts["pass"], counts["bad"], size / max(work.events, 1))


def fill_reference(settings: Settings, work: Workload, topic: str) -> int:
    _produce_all(_producer(settings), topic, work.reference_rows())
    return work.users


def pipeline_yaml(
    name: str,
    *,
    source: str,
    reference: str,
    sink: str,
    dead_letter: str,
    batch_size: int,
    batch_wait_ms: int,
    window_sink: str | None = None,
) -> str:
    """The stream-engine pipeline equivalent to the hand-written agent of contender (c).

    With `window_sink`, a 5-minute tumbling count+sum per user is added (contender f).
    """
    maps = "\n".join(f'      {col}: "{expr}"' for col, expr in MAP_COLUMNS.items())
    fields = ", ".join(ENRICH_FIELDS)
    return f"""\
pipeline: {name}
version: 1
description: stream-engine benchmark pipeline (bench/run.py)
worker:
  batch_size: {batch_size}
  batch_wait: {batch_wait_ms}ms
sources:
  events:
    topic: {source}
    format: json
    key: user_id
reference:
  users:
    topic: {reference}
    key: user_id
steps:
  - enrich: {{table: users, on: user_id, fields: [{fields}], missing: dead_letter}}
  - filter: "{FILTER_EXPR}"
  - map:
{maps}
sinks:
  out:
    topic: {sink}
    format: json
dead_letter:
  topic: {dead_letter}
""" + (_window_section(window_sink) if window_sink else "")


def _window_section(sink: str) -> str:
    return f"""\
windows:
  per_user_5m:
    type: tumbling
    size: 5m
    grace: 30s
    key: user_id
    aggregate: {{events: count, amount: {{sum: amount}}}}
    sink: {{topic: {sink}}}
"""


def write_pipeline(directory: Path, name: str, **kwargs: object) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(pipeline_yaml(name, **kwargs))  # type: ignore[arg-type]
    return path
