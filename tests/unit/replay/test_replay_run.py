"""ReplayRun without Kafka: what a range keeps of the topology's outputs (warm-up, window
starts, the end flush) and what it never writes (changelog entries)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from stream_engine.dlq import DeadLetter
from stream_engine.runtime.replay.plan import PartitionRange
from stream_engine.runtime.replay.run import Chunk, ReplayRun
from stream_engine.runtime.replay.summary import ReplaySummary
from stream_engine.spec import load_pipeline
from stream_engine.topology import Record, SinkRecord, Topology
from stream_engine.topology.result import TableRow

PIPELINE = """
pipeline: run
version: 1
sources:
  s: {topic: in, key: k, event_time: ts}
sinks:
  out: {topic: out}
windows:
  w:
    type: tumbling
    size: 10s
    grace: 1s
    key: k
    aggregate: {n: count}
    sink: {topic: w}
"""


class Collect:
    def __init__(self) -> None:
        self.outputs: list[SinkRecord] = []
        self.letters: list[DeadLetter] = []
        self.rows: list[TableRow] = []
        self.closed = False

    def write(
        self,
        source: str,
        outputs: list[SinkRecord],
        letters: list[DeadLetter],
        rows: Sequence[TableRow] = (),
    ) -> None:
        self.outputs += outputs
        self.letters += letters
        self.rows += rows

    def close(self) -> None:
        self.closed = True

    def destinations(self) -> dict[str, str]:
        return {}

    def refused(self) -> Counter[str]:
        return Counter()


T = 1_700_000_000_000  # a whole 10 s


def _records() -> list[Record]:
    """Key a, one record per second from t=0 to t=39 s; offset 15 is undecodable."""
    out = []
    for i in range(40):
        value = b"\xff" if i == 15 else orjson.dumps({"k": "a", "ts": T + i * 1000})
        out.append(Record(b"a", value, "in", 0, i, T + i * 1000))
    return out


def _run(tmp_path: Path, part: PartitionRange, flush: bool = True) -> tuple[Collect, Any]:
    (tmp_path / "p.yaml").write_text(PIPELINE)
    topology = Topology.build(load_pipeline(tmp_path / "p.yaml"))
    target = Collect()
    records = [r for r in _records() if part.start <= r.offset < part.end]
    chunks = [
        Chunk("s", part, records[i : i + 7], last=i + 7 >= len(records))
        for i in range(0, len(records), 7)
    ]
    summary = ReplayRun(
        topology, target, ReplaySummary("id", "run", "a", "b", "t"), flush=flush
    ).run(chunks)
    assert target.closed
    return target, summary


def _windows(target: Collect) -> list[tuple[int, int]]:
    return [
        (o.record["window_start"] - T, o.record["n"])
        for o in target.outputs
        if o.sink == "w" and o.record
    ]


def test_warm_up_feeds_windows_but_emits_nothing_of_its_own(tmp_path: Path) -> None:
    # range: offsets 20..35 (t = 20 s), warm-up from offset 9 (20 s - 11 s)
    target, summary = _run(tmp_path, PartitionRange(0, 9, 20, 35, window_from_ms=T + 20_000))
    assert sorted(
        orjson.loads(o.value or b"")["ts"] - T for o in target.outputs if o.sink == "out"
    ) == [i * 1000 for i in range(20, 35)]
    assert target.letters == []  # offset 15 (undecodable) is in the warm-up
    # [20 s, 30 s) closed by the watermark, [30 s, 40 s) by the end flush (records 30..34);
    # [10 s, 20 s) started before --from: not emitted although it closed in the range
    assert _windows(target) == [(20_000, 10), (30_000, 5)]
    assert (summary.records_read, summary.warmup_records, summary.flushed_windows) == (26, 11, 1)
    assert summary.emitted == Counter({"out": 15, "w": 2})


def test_no_flush_and_dead_letters_in_range(tmp_path: Path) -> None:
    target, summary = _run(tmp_path, PartitionRange(0, 0, 0, 40), flush=False)
    assert _windows(target) == [(0, 10), (10_000, 9), (20_000, 10)]  # [30 s, 40 s) stays open
    assert [(d.offset, d.reason) for d in target.letters] == [(15, "decode")]
    assert summary.dead_letters == Counter({"decode": 1}) and summary.flushed_windows == 0


def test_no_changelog_is_built(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(PIPELINE)
    topology = Topology.build(load_pipeline(tmp_path / "p.yaml"))
    ReplayRun(topology, Collect(), ReplaySummary("id", "run", "a", "b", "t"))
    assert all(w.operator.changelog is False for w in topology.windows)
