"""What the worker's /ready answers, kept current by the worker and both runtimes.

A worker is ready once its reference tables are loaded and the window state of every
partition assigned to it has been restored. A worker with no partitions (more workers
than partitions) is ready and idle: it is healthy spare capacity, not a fault.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

TopicPartition = tuple[str, int]


class Readiness:
    """Thread-safe: the runtimes write it, the HTTP thread reads it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._references_loaded = False
        self._assigned: set[TopicPartition] = set()
        self._restoring: set[TopicPartition] = set()

    def references_loaded(self) -> None:
        with self._lock:
            self._references_loaded = True

    def restoring(self, partitions: Iterable[TopicPartition]) -> None:
        with self._lock:
            parts = set(partitions)
            self._assigned |= parts
            self._restoring |= parts

    def restored(self, partitions: Iterable[TopicPartition]) -> None:
        with self._lock:
            self._restoring -= set(partitions)

    def revoked(self, partitions: Iterable[TopicPartition]) -> None:
        with self._lock:
            parts = set(partitions)
            self._assigned -= parts
            self._restoring -= parts

    def status(self) -> tuple[bool, str]:
        """(ready, one line for the /ready body)."""
        with self._lock:
            if not self._references_loaded:
                return False, "not ready: loading reference tables"
            if self._restoring:
                names = ", ".join(f"{t}[{p}]" for t, p in sorted(self._restoring))
                return False, f"not ready: restoring window state of {names}"
            if not self._assigned:
                return True, "ready: idle, no partitions assigned"
            n = len(self._assigned)
            return True, f"ready: {n} partition{'' if n == 1 else 's'} assigned"


def by_topic(partitions: Iterable[Any]) -> dict[str, set[int]]:
    """Group Kafka TopicPartitions (confluent-kafka's or Faust's TP) by topic."""
    grouped: dict[str, set[int]] = {}
    for tp in partitions:
        grouped.setdefault(tp.topic, set()).add(tp.partition)
    return grouped
