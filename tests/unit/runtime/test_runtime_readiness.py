"""Readiness: what /ready answers as reference tables load and partitions come and go."""

from __future__ import annotations

from types import SimpleNamespace

from stream_engine.runtime.readiness import Readiness, by_topic


def test_not_ready_until_reference_tables_are_loaded() -> None:
    readiness = Readiness()
    assert readiness.status() == (False, "not ready: loading reference tables")
    readiness.references_loaded()
    assert readiness.status() == (True, "ready: idle, no partitions assigned")


def test_not_ready_while_any_assigned_partition_is_restoring() -> None:
    readiness = Readiness()
    readiness.references_loaded()
    readiness.restoring([("clicks", 1), ("clicks", 0)])
    assert readiness.status() == (
        False,
        "not ready: restoring window state of clicks[0], clicks[1]",
    )
    readiness.restored([("clicks", 0)])
    assert readiness.status() == (False, "not ready: restoring window state of clicks[1]")
    readiness.restored([("clicks", 1)])
    assert readiness.status() == (True, "ready: 2 partitions assigned")


def test_revoked_partitions_are_no_longer_counted_or_awaited() -> None:
    readiness = Readiness()
    readiness.references_loaded()
    readiness.restoring([("clicks", 0), ("clicks", 1)])
    readiness.revoked([("clicks", 1)])  # taken away mid-restore
    assert readiness.status()[0] is False
    readiness.restored([("clicks", 0)])
    assert readiness.status() == (True, "ready: 1 partition assigned")
    readiness.revoked([("clicks", 0)])
    assert readiness.status() == (True, "ready: idle, no partitions assigned")


def test_by_topic_groups_partitions() -> None:
    tps = [SimpleNamespace(topic=t, partition=p) for t, p in [("a", 1), ("b", 0), ("a", 0)]]
    assert by_topic(tps) == {"a": {0, 1}, "b": {0}}
