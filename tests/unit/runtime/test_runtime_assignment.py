"""BatchRunner.assign_partitions: window state is restored when a partition is assigned
(before /ready turns true), once per partition, and only for windows over that topic."""

from __future__ import annotations

from pathlib import Path

from stream_engine.monitor import PipelineMetrics
from stream_engine.runtime.readiness import Readiness
from stream_engine.runtime.runner import BatchRunner
from stream_engine.spec import parse_pipeline
from stream_engine.topology import Topology
from stream_engine.windows import PartitionState

PIPELINE = {
    "pipeline": "assign",
    "version": 1,
    "sources": {
        "clicks": {"topic": "clicks", "key": "k"},
        "orders": {"topic": "orders", "key": "k"},
    },
    "sinks": {"out": {"topic": "out"}},
    "windows": {
        "per_minute": {
            "type": "tumbling",
            "size": "1m",
            "key": "k",
            "source": "clicks",
            "aggregate": {"n": "count"},
            "sink": {"topic": "w1"},
        },
        "per_hour": {
            "type": "tumbling",
            "size": "1h",
            "key": "k",
            "source": "clicks",
            "aggregate": {"n": "count"},
            "sink": {"topic": "w2"},
        },
        "orders_hour": {
            "type": "tumbling",
            "size": "1h",
            "key": "k",
            "source": "orders",
            "aggregate": {"n": "count"},
            "sink": {"topic": "w3"},
        },
    },
}


def _runner(tmp_path: Path) -> tuple[BatchRunner, list[tuple[str, int]], Readiness]:
    topology = Topology.build(parse_pipeline(PIPELINE, "pipeline.yaml", tmp_path))
    restored: list[tuple[str, int]] = []

    def restore(window: str, partition: int) -> PartitionState:
        restored.append((window, partition))
        return PartitionState()

    topology.restore = restore
    readiness = Readiness()
    readiness.references_loaded()
    runner = BatchRunner(topology, None, PipelineMetrics("assign"), readiness)  # type: ignore[arg-type]
    return runner, restored, readiness


def test_assignment_restores_each_window_of_the_topic_once(tmp_path: Path) -> None:
    runner, restored, readiness = _runner(tmp_path)

    runner.assign_partitions("clicks", {1, 0})

    assert sorted(restored) == [
        ("per_hour", 0),
        ("per_hour", 1),
        ("per_minute", 0),
        ("per_minute", 1),
    ]
    assert readiness.status() == (True, "ready: 2 partitions assigned")
    runner.assign_partitions("clicks", {0, 1, 2})  # eager rebalance: the full assignment again
    assert sorted(restored)[-2:] == [("per_minute", 1), ("per_minute", 2)]
    assert len(restored) == 6
    assert readiness.status() == (True, "ready: 3 partitions assigned")


def test_revoked_partitions_are_restored_again_when_they_come_back(tmp_path: Path) -> None:
    runner, restored, readiness = _runner(tmp_path)
    runner.assign_partitions("orders", {0})
    runner.forget_partitions("orders", {0})
    assert readiness.status() == (True, "ready: idle, no partitions assigned")

    runner.assign_partitions("orders", {0})

    assert restored == [("orders_hour", 0), ("orders_hour", 0)]


def test_topics_that_are_not_sources_are_ignored(tmp_path: Path) -> None:
    runner, restored, readiness = _runner(tmp_path)
    runner.assign_partitions("someone-elses-topic", {0})
    assert restored == []
    assert readiness.status() == (True, "ready: idle, no partitions assigned")
