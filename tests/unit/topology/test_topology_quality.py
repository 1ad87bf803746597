"""The quality step inside Topology.process: dead letters, verdict outputs, changelog,
references, halt, and configuration errors; plus the quality metrics' exposition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest

from stream_engine.errors import ConfigError
from stream_engine.monitor.quality_metrics import QualityMetrics
from stream_engine.spec import parse_pipeline
from stream_engine.topology import MicroBatch, Record, Topology
from stream_engine.topology.quality_step import QUALITY_SINK, QualityHalt

PIPELINE = """
pipeline: shop
version: 1
sources:
  orders: {topic: orders, format: json, event_time: ts}
reference:
  users: {topic: users, key: user_id}
steps:
  - quality: {rules: rules.yaml}
  - filter: "amount < 900"
sinks:
  out: {topic: out}
"""

RULES = {
    "tables": {
        "orders": {
            "per": "1s",
            "dedup_span": "1m",
            "schema": [{"column": "user_id", "type": "string", "nullable": False}],
            "checks": [
                {"type": "range", "column": "amount", "min": 0},
                {"type": "uniqueness", "column": "id"},
                {"type": "referential_integrity", "column": "user_id",
                 "reference": {"topic": "users"}},
                {"type": "referential_integrity", "column": "country", "id": "known_country",
                 "reference": {"file": "countries.csv", "column": "code"}},
                {"type": "row_count", "min": 1},
            ],
        }
    }
}  # fmt: skip


def build(tmp_path: Path, rules: dict[str, Any] = RULES, pipeline: str = PIPELINE) -> Topology:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules))
    (tmp_path / "countries.csv").write_text("code,name\nDE,Germany\nFR,France\n")
    spec = parse_pipeline(yaml.safe_load(pipeline), "pipeline.yaml", tmp_path)
    topology = Topology.build(spec)
    topology.tables["users"].put("u1", {"user_id": "u1"})
    return topology


def batch(*events: dict[str, Any], first_offset: int = 0) -> MicroBatch:
    return MicroBatch(
        "orders",
        [
            Record(b"k", orjson.dumps(e), "orders", 2, first_offset + i, 0, (("h", b"v"),))
            for i, e in enumerate(events)
        ],
    )


T0 = 1_700_000_000_000  # event times in epoch ms


def order(i: int, **fields: Any) -> dict[str, Any]:
    return {"id": i, "user_id": "u1", "amount": 5, "country": "DE", "ts": T0 + i, **fields}


def test_failures_become_quality_dead_letters_and_the_rest_goes_on(tmp_path: Path) -> None:
    topology = build(tmp_path)
    result = topology.process(
        batch(
            order(1),
            order(2, user_id=None),
            order(3, amount=-1),
            order(1),  # duplicate id
            order(4, user_id="ghost"),
            order(5, country="XX"),
            order(6, amount=950),  # passes quality, filtered
            order(7, ts=T0 + 5000),  # closes the window of the others (per 1s)
        )
    )
    letters = [(d.offset, d.reason, d.stage, d.rule, d.message) for d in result.dead_letters]
    assert letters == [
        (1, "schema", "quality", "schema.user_id", "user_id is null or missing (nullable: false)"),
        (2, "rule", "quality", "range.amount", "amount=-1 is below the minimum 0"),
        (3, "duplicate", "quality", "uniqueness.id", "duplicate id=1 within 1m"),
        (4, "rule", "quality", "referential_integrity.user_id",
         "user_id='ghost' is not in the reference users"),
        (5, "rule", "quality", "known_country",
         "country='XX' is not in the reference countries.csv"),
    ]  # fmt: skip
    assert all(d.headers == (("h", b"v"),) for d in result.dead_letters)
    assert [orjson.loads(o.value)["id"] for o in result.outputs if o.sink == "out"] == [1, 7]
    counters = result.counters
    assert counters.balanced()
    assert counters.dead == {("quality", "schema"): 1, ("quality", "rule"): 3,
                             ("quality", "duplicate"): 1}  # fmt: skip
    verdicts = [o for o in result.outputs if o.sink == QUALITY_SINK]
    assert [o.record["rule"] for o in verdicts if o.record] == [
        "schema.user_id",
        "range.amount",
        "uniqueness.id",
        "referential_integrity.user_id",
        "known_country",
        "row_count",
    ]
    first = verdicts[0]
    assert first.topic == "shop.quality"
    assert first.key == f"orders|2|{T0}|schema.user_id".encode()
    assert first.timestamp_ms == T0 + 999
    assert first.record is not None and first.record["rows"] == 7
    assert orjson.loads(first.value or b"") == first.record
    assert counters.out[QUALITY_SINK] == 6
    assert {c.topic for c in result.changelog} == {
        "stream-engine.shop.v1.quality-s0-orders.changelog"
    }
    assert all(c.partition == 2 for c in result.changelog)
    assert "quality" in result.step_seconds


def test_the_reference_table_is_read_as_it_is_now(tmp_path: Path) -> None:
    topology = build(tmp_path)
    assert [d.rule for d in topology.process(batch(order(1, user_id="u2"))).dead_letters] == [
        "referential_integrity.user_id"
    ]
    topology.tables["users"].put("u2", {"user_id": "u2"})
    assert topology.process(batch(order(2, user_id="u2"), first_offset=1)).dead_letters == []


def test_halt_raises_before_anything_is_emitted(tmp_path: Path) -> None:
    rules = {"tables": {"orders": {"on_error": "halt", "checks": [
        {"type": "range", "column": "amount", "min": 0}]}}}  # fmt: skip
    topology = build(tmp_path, rules)
    with pytest.raises(QualityHalt) as caught:
        topology.process(batch(order(1), order(2, amount=-3)))
    assert str(caught.value) == (
        "quality rule range.amount failed with on_error: halt at orders[2] offset 1: "
        "amount=-3 is below the minimum 0; the batch is not committed, fix the data or the "
        "rules and restart"
    )
    (step,) = topology.quality_steps
    assert step.states[("orders", 2)].offset == -1


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            {"tables": {"other": {}}},
            "pipeline: steps[0].quality: no table 'orders' in rules.yaml (tables: other); "
            "name the rules table after the source or set table:",
        ),
        (
            {"tables": {"orders": {"checks": [{"type": "uniqueness", "column": "id"}]}}},
            "pipeline: steps[0].quality: rules.yaml: tables.orders: uniqueness in a stream "
            "needs dedup_span (how long a key is remembered), e.g. dedup_span: 1h",
        ),
        (
            {"tables": {"orders": {"checks": [{"type": "referential_integrity",
                                                "column": "c", "reference": {"topic": "x"}}]}}},
            "pipeline: steps[0].quality: rules.yaml: tables.orders: rule "
            "referential_integrity.c: topic 'x' is not a reference table of the pipeline; "
            "add it under reference: so the worker loads it and keeps it current",
        ),
        (
            {"tables": {"orders": {"checks": [{"type": "referential_integrity", "column": "c",
                                                "reference": {"database": "d.duckdb",
                                                              "table": "t"}}]}}},
            "pipeline: steps[0].quality: rules.yaml: tables.orders: rule "
            "referential_integrity.c: in a stream, a reference is a reference topic of the "
            "pipeline or a file (a database table is read by `stream-engine validate` only)",
        ),
    ],
)  # fmt: skip
def test_configuration_errors_name_the_step_and_rule(
    tmp_path: Path, rules: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        build(tmp_path, rules)
    assert str(caught.value) == message


def test_quality_metrics_expose_exactly_the_documented_series(tmp_path: Path) -> None:
    topology = build(tmp_path)
    result = topology.process(batch(order(1), order(2, amount=-1), order(3, ts=T0 + 9000)))
    registry = CollectorRegistry()
    metrics = QualityMetrics("shop", registry)
    metrics.observe(result)
    lines = [
        line for line in generate_latest(registry).decode().splitlines()
        if not line.startswith("#")
    ]  # fmt: skip
    labels = 'pipeline="shop",rule="{}",severity="error"'
    rules = ["known_country", "range.amount", "referential_integrity.user_id", "row_count",
             "schema.user_id", "uniqueness.id"]  # fmt: skip
    assert lines == (
        [f"stream_engine_quality_checks_total{{{labels.format(r)}}} 1.0" for r in rules]
        + [
            f"stream_engine_quality_checks_failed_total{{{labels.format(r)}}} "
            f"{1.0 if r == 'range.amount' else 0.0}"
            for r in rules
        ]
        + [f'stream_engine_quality_score{{pipeline="shop"}} {5 / 6}']
    )


def test_revoked_partitions_leave_the_quality_score(tmp_path: Path) -> None:
    topology = build(tmp_path)
    result = topology.process(batch(order(1), order(2, amount=-1), order(3, ts=T0 + 9000)))
    metrics = QualityMetrics("shop", CollectorRegistry())
    metrics.observe(result)
    assert metrics.score == 5 / 6
    metrics.forget(result.source, {0, 1})  # other partitions: the score stands
    assert metrics.score == 5 / 6
    metrics.forget(result.source, {2})  # the batch's partition (see batch())
    assert metrics.score == 1.0  # no verdicts of owned partitions left


def test_the_quality_topic_is_a_written_topic_created_compacted(tmp_path: Path) -> None:
    spec = build(tmp_path).spec
    assert spec.topics_written() == ["out", "shop.quality", "shop.dlq"]
    created = {t.name: t for t in spec.topics_to_create()}
    assert created["shop.quality"].config == {"cleanup.policy": "compact"}
    assert created["shop.quality"].partitions == spec.defaults.partitions
