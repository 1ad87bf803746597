"""Replays on the real broker: a replay of a range equals the live worker's results for it.

One live worker (a subprocess) runs a pipeline with all four window kinds over input with
late records and undecodable ones; replays of a range starting in the middle must give
exactly the windows the live run closed (those starting at or after --from), the same
dead letters and the same sink records, order aside.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from confluent_kafka import Producer
from kafka_kit import KafkaKit, Message
from worker_kit import WorkerProcess, metric_sum

from connectors.kafka_admin import delete_topics
from connectors.kafka_config import producer_config
from stream_engine.spec.replay_bounds import iso

# Recent times, on a whole minute: the broker's time-based retention (24h here) would
# delete records with old timestamps in the middle of a test.
BASE = (int(time.time() * 1000) - 2 * 3_600_000) // 60_000 * 60_000
FROM_MS = BASE + 6 * 60_000 + 30_000  # in the silence after burst 6
FROM_ISO = iso(FROM_MS)
PIPELINE = """
pipeline: {name}
version: 1
worker: {{batch_size: 37, batch_wait: 50ms}}
sources:
  events: {{topic: {source}, key: user_id, event_time: ts}}
sinks:
  all: {{topic: {name}-all, fields: [id, user_id, amount]}}
windows:
  tumbling:
    type: tumbling
    size: 1m
    grace: 5s
    key: user_id
    aggregate: {{n: count, total: {{sum: amount}}, ids: {{count_distinct: id}}}}
    sink: {{topic: {name}-tumbling}}
  hopping:
    type: hopping
    size: 1m
    advance: 20s
    grace: 5s
    key: user_id
    aggregate: {{n: count, total: {{sum: amount}}}}
    sink: {{topic: {name}-hopping}}
  sliding:
    type: sliding
    difference: 10s
    grace: 5s
    key: user_id
    aggregate: {{n: count, first: {{first: id}}, last: {{last: id}}}}
    sink: {{topic: {name}-sliding}}
  session:
    type: session
    gap: 10s
    grace: 5s
    key: user_id
    aggregate: {{n: count, total: {{sum: amount}}}}
    sink: {{topic: {name}-session}}
dead_letter: {{topic: {name}-dlq}}
"""
WINDOWS = ("tumbling", "hopping", "sliding", "session")


def _events() -> list[tuple[bytes, bytes, int]]:
    """(key, value, Kafka timestamp): 12 one-minute bursts of 20 s, late and broken records."""
    rng = random.Random(6)
    out = []
    n = 0
    for burst in range(12):
        t0 = BASE + burst * 60_000
        for j in range(40):
            user = f"u{rng.randrange(6)}"
            ts = t0 + j * 500 + rng.randrange(0, 2000)
            n += 1
            if n % 25 == 0:
                ts -= 70_000  # late for every window it would belong to
            value = orjson.dumps({"id": n, "user_id": user, "ts": ts, "amount": rng.randrange(9)})
            out.append((user.encode(), value, ts))
        if burst in (3, 8):
            out.append((b"u1", b"\xff{not json", t0 + 21_000))
    return out


@dataclass
class Live:
    kafka: KafkaKit
    path: Path
    name: str
    source: str
    windows: dict[str, dict[bytes, Any]]
    dead: list[Message]
    sink: list[Message]
    source_messages: list[Message]


def _last_values(messages: list[Message]) -> dict[bytes, Any]:
    last: dict[bytes, Any] = {}
    for msg in sorted(messages, key=lambda m: (m.partition, m.offset)):
        last[msg.key or b""] = None if msg.value is None else orjson.loads(msg.value)
    return {k: v for k, v in last.items() if v is not None}


@pytest.fixture(scope="module")
def live(kafka_session: KafkaKit, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    kafka = kafka_session
    tmp = tmp_path_factory.mktemp("replay")
    source = kafka.topic("replay-src", partitions=2)
    name = kafka.unique("replay")
    written = [f"{name}-{t}" for t in ("all", "dlq", *WINDOWS)]
    path = tmp / "pipeline.yaml"
    path.write_text(PIPELINE.format(name=name, source=source))
    producer = Producer(producer_config(kafka.settings))
    events = _events()
    for key, value, ts in events:
        producer.produce(source, key=key, value=value, timestamp=ts)
    assert producer.flush(30) == 0
    worker = WorkerProcess(path, kafka.bootstrap, tmp).start()
    try:
        assert worker.wait_until(
            lambda: metric_sum(worker.metrics(), "stream_engine_records_in_total") >= len(events)
        ), worker.log[-3000:]
        windows = {w: _last_values(kafka.read_all(f"{name}-{w}")) for w in WINDOWS}
        dead = kafka.read_all(f"{name}-dlq")
        sink = kafka.read_all(f"{name}-all")
    finally:
        assert worker.terminate() == 0, worker.log[-3000:]
    try:
        yield Live(
            kafka, path, name, source, windows, dead, sink, kafka.read_all(source, len(events))
        )
    finally:
        shadows = [
            t for t in kafka.admin.list_topics(timeout=10).topics if t.startswith(f"{name}-")
        ]
        # each name once: librdkafka crashes on a delete request that names a topic twice
        delete_topics(kafka.admin, sorted({source, *written, *shadows}))


def _replay(live: Live, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stream_engine", "replay", str(live.path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"KAFKA_BOOTSTRAP_SERVERS": live.kafka.bootstrap, "PATH": "/usr/bin:/bin"},
    )


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_replay_of_a_range_equals_the_live_results(live: Live, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _replay(live, "--from", FROM_ISO, "--output", f"files:{out}", "--no-flush", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["from"] == FROM_ISO
    assert summary["warmup_records"] > 0
    parts = summary["plan"]["sources"]["events"]["partitions"]
    begin = {int(p): r["from"] for p, r in parts.items()}

    # Windows: every window the live run closed that starts at or after --from, same values.
    for window in WINDOWS:
        want = {
            k: v for k, v in live.windows[window].items() if int(k.rsplit(b"|", 1)[1]) >= FROM_MS
        }
        got = {
            f"{r['key']}|{r['window_start']}".encode(): r for r in _jsonl(out / f"{window}.jsonl")
        }
        assert want, f"the live run closed no {window} window after --from"
        assert got == want, f"{window}: {len(set(got) ^ set(want))} keys differ"

    # Dead letters: late (one per window) and decode, for source offsets in the range.
    def in_range(partition: int, offset: int) -> bool:
        return offset >= begin[partition]

    want_dead = sorted(
        (
            int(m.header("dlq.source.partition") or 0),
            int(m.header("dlq.source.offset") or 0),
            (m.header("dlq.reason") or b"").decode(),
            (m.header("dlq.rule") or b"").decode(),
        )
        for m in live.dead
        if in_range(
            int(m.header("dlq.source.partition") or 0), int(m.header("dlq.source.offset") or 0)
        )
    )
    got_dead = sorted(
        (d["source_partition"], d["source_offset"], d["reason"], d["rule"])
        for d in _jsonl(out / "dead_letters.jsonl")
    )
    assert got_dead == want_dead
    reasons = {d[2] for d in got_dead}
    assert reasons == {"late", "decode"}, reasons
    assert len({d[3] for d in got_dead if d[2] == "late"}) == 4  # late for every window kind

    # Sink records: those of source records in the range, as the live worker wrote them.
    ids_in_range = {
        orjson.loads(m.value)["id"]
        for m in live.source_messages
        if in_range(m.partition, m.offset) and m.value and m.value[:1] == b"{"
    }
    live_sink = sorted(
        (orjson.loads(m.value) for m in live.sink if orjson.loads(m.value)["id"] in ids_in_range),
        key=lambda r: r["id"],
    )
    assert sorted(_jsonl(out / "all.jsonl"), key=lambda r: r["id"]) == live_sink
    assert summary["emitted"]["all"] == len(ids_in_range)


def test_shadow_topics_and_compare_live(live: Live) -> None:
    run_id = "t" + uuid.uuid4().hex[:6]
    proc = _replay(live, "--from", FROM_ISO, "--run-id", run_id, "--compare-live", "--json")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["compare_live"]["identical"] is True
    assert doc["compare_live"]["outputs"]["tumbling"]["compared"] > 0
    shadow = live.kafka.read_all(f"{live.name}-tumbling.replay.{run_id}")
    assert len(shadow) == doc["emitted"]["tumbling"]
    dlq = live.kafka.read_all(f"{live.name}-dlq.replay.{run_id}")
    assert len(dlq) == sum(doc["dead_letters"].values())
    assert {m.header("dlq.reason") for m in dlq} == {b"late", b"decode"}
    # the live topics got nothing new
    assert len(live.kafka.read_all(f"{live.name}-tumbling")) == len(live.windows["tumbling"])


def test_compare_live_finds_a_planted_difference(live: Live, tmp_path: Path) -> None:
    victim_key, victim = next(
        (k, v) for k, v in live.windows["hopping"].items() if int(k.rsplit(b"|", 1)[1]) >= FROM_MS
    )
    planted = Producer(producer_config(live.kafka.settings))
    planted.produce(
        f"{live.name}-hopping",
        key=victim_key,
        value=orjson.dumps({**victim, "total": victim["total"] + 1000}),
    )
    assert planted.flush(10) == 0
    try:
        proc = _replay(live, "--from", FROM_ISO, "--output", f"files:{tmp_path}", "--compare-live")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "compare with live: DIFFERENT" in proc.stdout
        line = next(x for x in proc.stdout.splitlines() if x.strip().startswith("hopping"))
        assert "1 differ, 0 only live, 0 only replay" in line, proc.stdout
        assert victim_key.decode() in proc.stdout
    finally:  # put the true value back for the other tests
        planted.produce(f"{live.name}-hopping", key=victim_key, value=orjson.dumps(victim))
        planted.flush(10)


def test_workers_split_partitions_and_give_the_same_results(live: Live) -> None:
    run_id = "w" + uuid.uuid4().hex[:6]
    proc = _replay(
        live, "--from", FROM_ISO, "--run-id", run_id, "--workers", "2", "--no-flush", "--json"
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    for window in WINDOWS:
        want = {
            k: v for k, v in live.windows[window].items() if int(k.rsplit(b"|", 1)[1]) >= FROM_MS
        }
        got = _last_values(live.kafka.read_all(f"{live.name}-{window}.replay.{run_id}"))
        assert got == want, f"{window}: {len(set(got) ^ set(want))} keys differ"
    dlq = live.kafka.read_all(f"{live.name}-dlq.replay.{run_id}")
    assert len(dlq) == sum(doc["dead_letters"].values()) > 0
    assert doc["records_read"] == sum(
        p["records"] for p in doc["plan"]["sources"]["events"]["partitions"].values()
    )
