"""Lag of a group whose commits the test controls, on the real broker: in messages, in
seconds (interpolated between real sightings), through `monitor --once` and as an exporter."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

from confluent_kafka import Consumer, TopicPartition
from kafka_kit import KafkaKit

from connectors.kafka_config import consumer_config
from connectors.kafka_group_offsets import GroupOffsetsReader
from stream_engine.devbroker import free_port
from stream_engine.monitor.lag import LagTracker
from stream_engine.monitor.status import Status


def commit(kafka: KafkaKit, group: str, offsets: dict[tuple[str, int], int]) -> None:
    consumer = Consumer(consumer_config(kafka.settings, group))
    try:
        consumer.commit(
            offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=False
        )
    finally:
        consumer.close()


def test_lag_in_messages_and_seconds_follows_the_commits(kafka: KafkaKit) -> None:
    topic = kafka.topic("lag", partitions=2)
    group = kafka.unique("lag-group")
    p0, p1 = (topic, 0), (topic, 1)
    kafka.produce(topic, [(f"k{i}", f"v{i}") for i in range(10)], partition=0)
    commit(kafka, group, {p0: 10, p1: 0})
    reader = GroupOffsetsReader(kafka.settings, group, [topic])
    tracker = LagTracker(group, window_s=0.5)

    a = reader.snapshot()  # p0 ends at 10, caught up
    assert (a.high_watermarks, a.committed) == ({p0: 10, p1: 0}, {p0: 10, p1: 0})
    assert a.owned == {p0: False, p1: False}  # nobody is a member of the group
    lag = tracker.update(a)
    assert [(r.lag_messages, r.lag_seconds) for r in lag.partitions] == [(0, 0.0), (0, 0.0)]

    time.sleep(0.6)
    kafka.produce(topic, [(f"k{i}", f"v{i}") for i in range(10)], partition=0)
    b = reader.snapshot()  # offsets 10..19 appeared between a and b
    lag = tracker.update(b)
    row = lag.partitions[0]
    assert (row.committed, row.high_watermark, row.lag_messages) == (10, 20, 10)
    assert row.lag_seconds == b.time - a.time  # offset 10 was first seen missing at a
    assert row.produce_rate == 10 / (b.time - a.time)
    assert row.status == Status.OK  # caught up at the window's start (at a)

    time.sleep(0.6)
    kafka.produce(topic, [("k", "late")], partition=0)
    b2 = reader.snapshot()
    row = tracker.update(b2).partitions[0]
    assert (row.lag_messages, row.lag_seconds) == (11, b2.time - a.time)
    assert row.status == Status.STOP  # records arrive, no commit for a whole window, no member

    commit(kafka, group, {p0: 15})
    time.sleep(0.3)
    c = reader.snapshot()
    lag = tracker.update(c)
    row = lag.partitions[0]
    assert row.lag_messages == 6
    assert row.lag_seconds == c.time - (a.time + (b.time - a.time) * 5 / 10)
    assert row.status == Status.OK  # moving again, lag falling

    commit(kafka, group, {p0: 3})
    d = reader.snapshot()
    lag = tracker.update(d)
    row = lag.partitions[0]
    assert (row.lag_messages, row.lag_seconds, row.status) == (18, None, Status.REWIND)
    assert lag.status == Status.REWIND
    assert lag.partitions[1].lag_messages == 0 and lag.partitions[1].status == Status.OK


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "stream_engine", "monitor", *args]


def test_monitor_once_and_as_a_prometheus_exporter(kafka: KafkaKit) -> None:
    topic = kafka.topic("lagcli", partitions=2)
    group = kafka.unique("lagcli-group")
    kafka.produce(topic, [(f"k{i}", f"v{i}") for i in range(12)], partition=0)
    commit(kafka, group, {(topic, 0): 4, (topic, 1): 0})
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap}

    once = subprocess.run(
        _cli("--group", group, "--once", "--json", "--interval", "0.3"),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert once.returncode == 0, once.stderr
    report = json.loads(once.stdout)
    assert report["group"] == group and report["pipeline"] == group
    rows = {p["partition"]: p for p in report["partitions"]}
    assert (rows[0]["committed"], rows[0]["high_watermark"], rows[0]["lag_messages"]) == (4, 12, 8)
    assert rows[0]["lag_seconds"] is None  # offset 4 predates every sighting: unknown
    assert rows[0]["status"] == "STALL"  # not moving with lag on an idle topic
    assert (rows[1]["lag_messages"], rows[1]["lag_seconds"], rows[1]["status"]) == (0, 0.0, "OK")
    assert report["status"] == "STALL" and report["total_lag_messages"] == 8

    missing = subprocess.run(
        _cli("--group", kafka.unique("nobody"), "--once", "--interval", "0.1"),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert "has no committed offsets" in missing.stderr

    port = free_port()
    exporter = subprocess.Popen(
        _cli(
            "--group",
            group,
            "--serve",
            str(port),
            "--interval",
            "0.3",
            "--window",
            "0.6",
            "--pipeline",
            "legacy",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        body = ""
        deadline = time.monotonic() + 30
        wanted = [
            f'stream_engine_consumer_lag_messages{{group="{group}",partition="0",'
            f'pipeline="legacy",topic="{topic}"}} 8.0',
            # STALL once a whole window (0.6 s) of history shows the offset not moving
            f'stream_engine_consumer_group_status{{group="{group}",pipeline="legacy",'
            'status="STALL"} 1.0',
        ]
        while not all(w in body for w in wanted) and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    body = r.read().decode()
            except OSError:
                pass
            time.sleep(0.2)
        assert all(w in body for w in wanted), body
        assert "stream_engine_consumer_lag_seconds{" in body  # partition 1: 0 s
        assert f'stream_engine_consumer_lag_seconds{{group="{group}",partition="0"' not in body
    finally:
        exporter.send_signal(signal.SIGTERM)
        out, err = exporter.communicate(timeout=30)
    assert exporter.returncode == 0, err
    assert f"group {group}: " in out  # not a terminal: one summary line per sample
