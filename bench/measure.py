"""How a contender is timed: broker append times of its outputs, and completion by watermarks.

Output topics are created with `message.timestamp.type=LogAppendTime`, so the broker stamps
every output record with the time it appended it, whatever timestamp the contender set
(stream-engine keeps the input record's timestamp; Faust and librdkafka stamp send time).
The measured span is first append -> last append over every output topic of the
contender; throughput is input events / span. Startup (interpreter, imports, group join,
reference table load) is before the first append and is reported separately.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import TIMESTAMP_LOG_APPEND_TIME, Consumer, KafkaException, TopicPartition

from connectors.kafka_config import consumer_config
from stream_engine.settings import Settings

APPEND_TIME_CONFIG = {"message.timestamp.type": "LogAppendTime"}


class ContenderFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Progress:
    started: float  # monotonic: subprocess launched
    first_seen: float  # monotonic: first poll that saw an output record
    done: float  # monotonic: first poll that saw every expected output
    count: int  # output records when done
    cpu_s: dict[str, float]  # CPU seconds used between first_seen and done, by process
    # ("machine" is every process together; what the contender and broker did not use of
    # it is other load on the machine, reported so a disturbed run can be recognised)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0.0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def machine_busy_seconds() -> float:
    """CPU seconds every process of the machine has used so far (all cores; /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICKS


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class Watcher:
    """Watermark polling and record timestamps over a set of topics, without a group."""

    def __init__(self, settings: Settings) -> None:
        self._consumer = Consumer(consumer_config(settings, None, **{"group.id": "bench.watcher"}))
        self._partitions: dict[str, list[int]] = {}

    def close(self) -> None:
        self._consumer.close()

    def partitions(self, topic: str) -> list[int]:
        if topic not in self._partitions:
            meta = self._consumer.list_topics(topic, timeout=10)
            info = meta.topics.get(topic)
            if info is None or info.error is not None or not info.partitions:
                raise ContenderFailed(f"topic {topic!r} is not visible")
            self._partitions[topic] = sorted(info.partitions)
        return self._partitions[topic]

    def watermarks(self, topics: Sequence[str]) -> dict[tuple[str, int], tuple[int, int]]:
        out = {}
        for topic in topics:
            for p in self.partitions(topic):
                out[(topic, p)] = self._watermark(TopicPartition(topic, p))
        return out

    def _watermark(self, tp: TopicPartition) -> tuple[int, int]:
        # A topic created a moment ago may not have a leader yet: retry for a while.
        deadline = time.monotonic() + 30
        while True:
            try:
                low, high = self._consumer.get_watermark_offsets(tp, timeout=10, cached=False)
                return low, high
            except KafkaException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def count(self, topics: Sequence[str]) -> int:
        return sum(high - low for low, high in self.watermarks(topics).values())

    def wait_for(
        self,
        proc: subprocess.Popen[bytes],
        started: float,
        topics: Sequence[str],
        expected: int,
        timeout_s: float,
        interval_s: float = 0.25,
        watch_pids: dict[str, int] | None = None,
    ) -> Progress:
        """Poll until the topics hold `expected` records; fail if the process dies or stalls.

        `watch_pids` (name -> pid) get their CPU time measured over first_seen..done.
        """
        pids = {"contender": proc.pid, **(watch_pids or {})}
        cpu_at_first: dict[str, float] = {}
        first_seen = 0.0
        last_count, last_change = 0, time.monotonic()
        deadline = started + timeout_s
        while True:
            count = self.count(topics)
            now = time.monotonic()
            if count and not first_seen:
                first_seen = now
                cpu_at_first = {n: cpu_seconds(pid) for n, pid in pids.items()}
                cpu_at_first["machine"] = machine_busy_seconds()
            if count >= expected:
                cpu = {n: cpu_seconds(pid) - cpu_at_first[n] for n, pid in pids.items()}
                cpu["machine"] = machine_busy_seconds() - cpu_at_first["machine"]
                return Progress(started, first_seen, now, count, cpu)
            if count != last_count:
                last_count, last_change = count, now
            if proc.poll() is not None:
                raise ContenderFailed(
                    f"exited with code {proc.returncode} after {count}/{expected} outputs"
                )
            if now > deadline:
                raise ContenderFailed(f"timed out after {count}/{expected} outputs")
            if first_seen and now - last_change > 60:
                raise ContenderFailed(f"no progress for 60s at {count}/{expected} outputs")
            time.sleep(interval_s)

    def append_span_ms(self, topics: Sequence[str]) -> tuple[int, int]:
        """(first, last) broker append time, in ms, over every record of the topics."""
        marks = {tp: lh for tp, lh in self.watermarks(topics).items() if lh[1] > lh[0]}
        firsts = self._timestamps({tp: low for tp, (low, _) in marks.items()})
        lasts = self._timestamps({tp: high - 1 for tp, (_, high) in marks.items()})
        return min(firsts.values()), max(lasts.values())

    def _timestamps(self, offsets: dict[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        """The append timestamp of the record at each (topic, partition) offset."""
        consumer = self._consumer
        assigned = [TopicPartition(t, p, off) for (t, p), off in offsets.items()]
        consumer.assign(assigned)
        found: dict[tuple[str, int], int] = {}
        deadline = time.monotonic() + 30
        try:
            while len(found) < len(offsets):
                if time.monotonic() > deadline:
                    raise ContenderFailed(f"could not read timestamps of {sorted(offsets)}")
                msg = consumer.poll(0.5)
                if msg is None or msg.error():
                    continue
                tp = (str(msg.topic()), int(msg.partition() or 0))
                if tp in found or (msg.offset() or 0) < offsets[tp]:
                    continue
                kind, ts = msg.timestamp()
                if kind != TIMESTAMP_LOG_APPEND_TIME:
                    raise ContenderFailed(f"{tp} is not a LogAppendTime topic")
                found[tp] = ts
                # stop fetching this partition; the others may still be pending
                consumer.pause([TopicPartition(*tp)])
        finally:
            consumer.resume(assigned)  # librdkafka keeps a partition's pause across assignments
            consumer.unassign()
        return found
