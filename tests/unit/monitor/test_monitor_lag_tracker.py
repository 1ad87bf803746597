"""LagTracker turns snapshots into lag, rates and status; LagCollector exposes them."""

from __future__ import annotations

import math

from prometheus_client import CollectorRegistry, generate_latest

from stream_engine.monitor.lag import LagTracker, OffsetsSnapshot
from stream_engine.monitor.lag_metrics import LagCollector
from stream_engine.monitor.status import Status

TP0, TP1 = ("orders", 0), ("orders", 1)


def snap(t: float, highs: dict, committed: dict, owned: dict | None = None) -> OffsetsSnapshot:  # type: ignore[type-arg]
    return OffsetsSnapshot(t, highs, committed, owned or {})


def test_lag_rates_and_seconds_over_three_polls() -> None:
    tracker = LagTracker("g", window_s=20)
    first = tracker.update(snap(100.0, {TP0: 100, TP1: 10}, {TP0: 100}))
    p0, p1 = first.partitions
    assert (p0.lag_messages, p0.lag_seconds, p0.consume_rate, p0.produce_rate) == (
        0,
        0.0,
        None,
        None,
    )
    assert (p1.committed, p1.lag_messages, p1.status) == (None, None, None)
    assert not first.evaluated
    tracker.update(snap(110.0, {TP0: 200, TP1: 10}, {TP0: 120}))
    third = tracker.update(snap(120.0, {TP0: 300, TP1: 10}, {TP0: 150}))
    p0 = third.partitions[0]
    assert p0.lag_messages == 150
    # offset 150 was produced between t=100 (end 100) and t=110 (end 200): at t=105
    assert p0.lag_seconds == 15.0
    assert p0.consume_rate == 50 / 20
    assert p0.produce_rate == 200 / 20
    assert p0.status == Status.OK  # 20 s of history reach the window start: evaluated
    assert third.evaluated and third.total_lag == 150 and third.max_lag_seconds == 15.0


def test_lag_seconds_unknown_until_the_committed_offset_is_inside_the_table() -> None:
    tracker = LagTracker("g", window_s=60)
    tracker.update(snap(0.0, {TP0: 500}, {TP0: 10}))
    lag = tracker.update(snap(5.0, {TP0: 600}, {TP0: 20}))
    assert lag.partitions[0].lag_messages == 580
    assert lag.partitions[0].lag_seconds is None  # offset 20 was produced before t=0
    assert lag.max_lag_seconds is None


def test_exposition_names_labels_and_absent_unknown_seconds() -> None:
    tracker = LagTracker("g1", window_s=10)
    tracker.update(snap(0.0, {TP0: 50, TP1: 7}, {TP0: 40, TP1: 7}))
    lag = tracker.update(snap(10.0, {TP0: 60, TP1: 7}, {TP0: 40, TP1: 7}))
    collector = LagCollector("shop")
    collector.set(lag)
    registry = CollectorRegistry()
    registry.register(collector)

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, {"pipeline": "shop", "group": "g1", **labels})

    p0 = {"topic": "orders", "partition": "0"}
    p1 = {"topic": "orders", "partition": "1"}
    assert value("stream_engine_consumer_lag_messages", **p0) == 20
    assert value("stream_engine_consumer_lag_messages", **p1) == 0
    assert value("stream_engine_consumer_lag_seconds", **p0) is None  # 40 predates the table
    assert value("stream_engine_consumer_lag_seconds", **p1) == 0
    assert value("stream_engine_consumer_committed_offset", **p0) == 40
    assert value("stream_engine_consumer_high_watermark", **p0) == 60
    assert value("stream_engine_consumer_produce_rate", **p0) == 1.0
    assert value("stream_engine_consumer_consume_rate", **p0) == 0.0
    statuses = {
        s.value: value("stream_engine_consumer_partition_status", **p0, status=s.value)
        for s in Status
    }
    assert statuses == {"OK": 0, "WARN": 0, "REWIND": 0, "STALL": 0, "STOP": 1}
    group = {s.value: value("stream_engine_consumer_group_status", status=s.value) for s in Status}
    assert group == {"OK": 0, "WARN": 0, "REWIND": 0, "STALL": 0, "STOP": 1}
    text = generate_latest(registry).decode()
    assert "NaN" not in text and not any(
        math.isnan(float(line.rsplit(" ", 1)[1]))
        for line in text.splitlines()
        if line and not line.startswith("#")
    )


def test_nothing_is_exposed_before_the_first_sample() -> None:
    registry = CollectorRegistry()
    registry.register(LagCollector("shop"))
    assert generate_latest(registry) == b""
