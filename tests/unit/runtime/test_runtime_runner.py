"""BatchRunner: split by partition, process, deliver, then account. Pure logic, no broker.

The delivery is a small fake with the two methods the runner calls: send(result) and
flush() -> report with `.rerouted`.
"""

from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from stream_engine.dlq import DeadLetter
from stream_engine.errors import BrokerError
from stream_engine.monitor import PipelineMetrics
from stream_engine.runtime.runner import BatchRunner
from stream_engine.spec import parse_pipeline
from stream_engine.topology import BatchResult, MicroBatch, Record, SinkRecord, Topology

PIPELINE = {
    "pipeline": "runner",
    "version": 1,
    "sources": {"events": {"topic": "events-in"}},
    "steps": [{"filter": "n >= 0"}],
    "sinks": {"out": {"topic": "events-out"}},
}


@dataclass
class Report:
    rerouted: list[DeadLetter] = field(default_factory=list)
    rerouted_from: list[SinkRecord] = field(default_factory=list)


@dataclass
class FakeDelivery:
    """Records what it is asked to do; `fail` makes flush raise as a broker outage would."""

    calls: list[str] = field(default_factory=list)
    sent: list[BatchResult] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    fail: bool = False
    refuse: int = 0  # how many of the sent outputs the sink refuses (as the broker would)

    def send(self, result: BatchResult) -> None:
        self.calls.append("send")
        self.sent.append(result)

    def flush(self) -> Report:
        self.calls.append("flush")
        if self.fail:
            raise BrokerError("broker gone")
        outputs = [o for result in self.sent for o in result.outputs][: self.refuse]
        letter = DeadLetter("sink_error", "sink", "too large", b"k", b"v", "events-in", 0, 1, 0)
        self.report.rerouted += [letter for _ in outputs]
        self.report.rerouted_from += outputs
        return self.report


class SpyTopology:
    """The real topology, remembering every batch it was given."""

    def __init__(self, inner: Topology) -> None:
        self.inner = inner
        self.batches: list[MicroBatch] = []

    def process(self, batch: MicroBatch) -> BatchResult:
        self.batches.append(batch)
        return self.inner.process(batch)

    def __getattr__(self, name: str) -> object:  # windows, window_states, ...
        return getattr(self.inner, name)


@pytest.fixture
def topology(tmp_path: Path) -> SpyTopology:
    return SpyTopology(Topology.build(parse_pipeline(PIPELINE, "pipeline.yaml", tmp_path)))


@pytest.fixture
def delivery() -> FakeDelivery:
    return FakeDelivery()


@pytest.fixture
def metrics() -> PipelineMetrics:
    return PipelineMetrics("runner")


@pytest.fixture
def runner(topology: SpyTopology, delivery: FakeDelivery, metrics: PipelineMetrics) -> BatchRunner:
    return BatchRunner(topology, delivery, metrics)  # type: ignore[arg-type]


def rec(partition: int, offset: int, n: object = 1) -> Record:
    value = orjson.dumps({"n": n}) if n != "junk" else b"junk"
    return Record(b"k", value, "events-in", partition, offset, 1000 + offset)


def positions(batch: MicroBatch) -> list[tuple[int, int]]:
    return [(r.partition, r.offset) for r in batch.records]


def test_records_are_split_into_one_batch_per_partition_in_offset_order(
    runner: BatchRunner, topology: SpyTopology, delivery: FakeDelivery
) -> None:
    records = [rec(2, 50), rec(0, 7), rec(2, 51), rec(1, 3), rec(0, 8), rec(2, 52), rec(0, 9)]

    runner.process("events", records)

    assert [positions(b) for b in topology.batches] == [
        [(0, 7), (0, 8), (0, 9)],
        [(1, 3)],
        [(2, 50), (2, 51), (2, 52)],
    ]
    assert all(b.source == "events" for b in topology.batches)
    assert [r.source for r in delivery.sent] == ["events"] * 3
    assert [[o.origin.offset for o in r.outputs] for r in delivery.sent] == [
        [7, 8, 9],
        [3],
        [50, 51, 52],
    ]


def test_every_batch_is_sent_before_one_flush(runner: BatchRunner, delivery: FakeDelivery) -> None:
    runner.process("events", [rec(0, 1), rec(1, 1), rec(3, 1)])
    runner.process("events", [rec(0, 2)])

    assert delivery.calls == ["send", "send", "send", "flush", "send", "flush"]


def test_an_empty_call_still_flushes_and_counts_nothing(
    runner: BatchRunner, topology: SpyTopology, delivery: FakeDelivery
) -> None:
    runner.process("events", [])

    assert topology.batches == []
    assert delivery.calls == ["flush"]
    assert runner.totals.records_in == 0


def test_totals_accumulate_across_partitions_and_calls(runner: BatchRunner) -> None:
    runner.process("events", [rec(0, 1), rec(1, 1, n=-5), rec(0, 2, n="junk")])
    runner.process("events", [rec(1, 2), rec(2, 1, n=-1)])

    totals = runner.totals
    assert totals.records_in == 5
    assert totals.passed == 2
    assert totals.filtered == {"steps[0]": 2}
    assert totals.dead == {("decode", "decode"): 1}
    assert totals.out == {"out": 2}
    assert totals.balanced()


def test_metrics_are_observed_per_batch(runner: BatchRunner, metrics: PipelineMetrics) -> None:
    runner.process("events", [rec(0, 1), rec(1, 1), rec(1, 2, n="junk")])

    def value(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, {"pipeline": "runner", **labels})

    assert value("stream_engine_records_in_total", source="events") == 3
    assert value("stream_engine_batch_size_count", source="events") == 2
    assert value("stream_engine_records_out_total", sink="out") == 2
    assert value("stream_engine_dead_letters_total", stage="decode", reason="decode") == 1
    assert value("stream_engine_step_seconds_count", step="commit") == 1
    assert value("stream_engine_step_seconds_count", step="decode") == 2


def test_rerouted_sink_records_are_counted_as_sink_dead_letters(
    runner: BatchRunner, delivery: FakeDelivery, metrics: PipelineMetrics
) -> None:
    delivery.refuse = 2

    runner.process("events", [rec(0, 1), rec(0, 2), rec(0, 3)])

    def sample(name: str, labels: dict[str, str]) -> float | None:
        return metrics.registry.get_sample_value(name, {"pipeline": "runner", **labels})

    assert (
        sample("stream_engine_dead_letters_total", {"stage": "sink", "reason": "sink_error"}) == 2
    )
    # a refused record is a dead letter, not an output, and the accounting still balances
    assert sample("stream_engine_records_out_total", {"sink": "out"}) == 1
    assert runner.totals.passed == 1
    assert runner.totals.balanced()


def test_nothing_is_counted_when_the_flush_fails(
    runner: BatchRunner, delivery: FakeDelivery, metrics: PipelineMetrics
) -> None:
    """Totals and metrics describe delivered work; a failed flush delivered nothing."""
    delivery.fail = True

    with pytest.raises(BrokerError):
        runner.process("events", [rec(0, 1), rec(1, 1)])

    assert runner.totals.records_in == 0
    assert (
        metrics.registry.get_sample_value(
            "stream_engine_records_in_total", {"pipeline": "runner", "source": "events"}
        )
        is None
    )
