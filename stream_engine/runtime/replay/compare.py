"""`--compare-live`: diff a replay's outputs against what the live worker wrote.

Compared, for the replayed range:
- window results: the last value per result key (`<key>|<start>`) of windows starting in
  the range; windows the replay only closed by its end-of-run flush are left out, since
  the live worker may still hold them open (or has seen records after the range);
- sink records: as a multiset of (key, value, timestamp) on both sides, taking records
  whose timestamp (the input's) lies within the range; records whose timestamp and
  offset disagree about the range (disorder at its edges) are left out on both sides;
- dead letters: by (source partition, source offset, reason) for offsets in the range.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from connectors.kafka_reader import read_topic
from stream_engine.dlq import DeadLetter
from stream_engine.runtime.replay.plan import ReplayPlan
from stream_engine.runtime.replay.run import window_start
from stream_engine.settings import Settings
from stream_engine.spec import PipelineSpec
from stream_engine.topology import SinkRecord, Topology

SAMPLES = 3


@dataclass
class OutputDiff:
    name: str  # sink or window name, or "dead letters"
    topic: str
    compared: int = 0  # entries the two runs have in common (equal or not)
    only_live: int = 0
    only_replay: int = 0
    differ: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)
    one_way: bool = False  # only replay entries missing live are counted

    @property
    def identical(self) -> bool:
        return not (self.only_live or self.only_replay or self.differ)

    def sample(self, kind: str, key: object, live: object = None, replay: object = None) -> None:
        if len(self.samples) < SAMPLES:
            entry = {"kind": kind, "key": _show(key), "live": _show(live), "replay": _show(replay)}
            self.samples.append(entry)

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "compared": self.compared,
            "only_live": self.only_live,
            "only_replay": self.only_replay,
            "differ": self.differ,
            "samples": self.samples,
            "one_way": self.one_way,
        }


@dataclass
class LiveComparison:
    outputs: list[OutputDiff]

    @property
    def identical(self) -> bool:
        return all(o.identical for o in self.outputs)

    def to_json(self) -> dict[str, Any]:
        return {"identical": self.identical, "outputs": {o.name: o.to_json() for o in self.outputs}}

    def render(self) -> str:
        verdict = "identical" if self.identical else "DIFFERENT"
        lines = [f"compare with live: {verdict}"]
        for o in self.outputs:
            lines.append(
                f"  {o.name:<14} {o.compared:,} compared, {o.differ:,} differ, "
                f"{'-' if o.one_way else format(o.only_live, ',')} only live, "
                f"{o.only_replay:,} only replay  ({o.topic})"
            )
            for s in o.samples:
                lines.append(f"    {s['kind']}: {s['key']}  live={s['live']}  replay={s['replay']}")
        return "\n".join(lines)


def _show(value: object) -> str:
    """Text as text; binary values (Avro) as a hex prefix, so samples stay one line."""
    if isinstance(value, bytes):
        try:
            text = value.decode()
        except UnicodeDecodeError:
            text = ""
        if not text.isprintable():
            return f"<{len(value)} bytes 0x{value[:24].hex()}{'...' if len(value) > 24 else ''}>"
    else:
        text = "" if value is None else str(value)
    return text if len(text) <= 200 else text[:197] + "..."


class OutputCollector:
    """Keeps what the replay emitted, as an observer of ReplayRun."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self.windows: dict[str, dict[bytes, bytes | None]] = {w.name: {} for w in topology.windows}
        self.flushed: dict[str, set[bytes]] = {w.name: set() for w in topology.windows}
        self.sinks: dict[str, Counter[tuple[bytes | None, bytes | None, int]]] = {
            s.name: Counter() for s in topology.sinks
        }
        self.times: dict[str, tuple[int, int]] = {}
        self.letters: Counter[tuple[str, int, int, str]] = Counter()

    def observe(self, outputs: list[SinkRecord], letters: list[DeadLetter], flushed: bool) -> None:
        for out in outputs:
            if out.sink in self.windows:
                key = out.key or b""
                self.windows[out.sink][key] = out.value
                if flushed:
                    self.flushed[out.sink].add(key)
            elif out.sink in self.sinks:
                self.sinks[out.sink][(out.key, out.value, out.timestamp_ms)] += 1
                low, high = self.times.get(out.sink, (out.timestamp_ms, out.timestamp_ms))
                self.times[out.sink] = (min(low, out.timestamp_ms), max(high, out.timestamp_ms))
        for d in letters:
            self.letters[(d.topic, d.partition, d.offset, d.reason)] += 1

    def compare(self, settings: Settings, spec: PipelineSpec, plan: ReplayPlan) -> LiveComparison:
        diffs = []
        for window in self.topology.windows:
            source = next(s for s in plan.sources if s.source == window.source)
            froms = [p.window_from_ms for p in source.partitions if p.window_from_ms is not None]
            low = min(froms, default=None)
            diffs.append(self._windows(settings, window.name, window.sink_topic, low, source.to_ms))
        for sink in self.topology.sinks:
            diffs.append(self._sink(settings, sink.name, sink.topic, plan))
        diffs.append(self._dead_letters(settings, spec.dead_letter_topic, plan))
        return LiveComparison(diffs)

    def _windows(
        self, settings: Settings, name: str, topic: str, low: int | None, high: int | None
    ) -> OutputDiff:
        diff = OutputDiff(name, topic)
        live: dict[bytes, bytes | None] = {}
        for msg in sorted(read_topic(settings, topic), key=lambda m: (m.partition, m.offset)):
            live[msg.key or b""] = msg.value

        def in_range(key: bytes) -> bool:
            start = window_start(SinkRecord("", "", key, None, 0, (), None, None))
            return (low is None or start >= low) and (high is None or start < high)

        ours, flushed = self.windows[name], self.flushed[name]
        live_keys = {k for k, v in live.items() if v is not None and in_range(k)}
        our_keys = {k for k, v in ours.items() if v is not None and k not in flushed}
        for key in sorted(live_keys | our_keys):
            if key in flushed:
                continue
            if key not in ours or ours[key] is None:
                diff.only_live += 1
                diff.sample("only live", key, live[key])
            elif key not in live or live[key] is None:
                diff.only_replay += 1
                diff.sample("only replay", key, None, ours[key])
            else:
                diff.compared += 1
                if live[key] != ours[key]:
                    diff.differ += 1
                    diff.sample("differ", key, live[key], ours[key])
        return diff

    def _sink(self, settings: Settings, name: str, topic: str, plan: ReplayPlan) -> OutputDiff:
        """Records timed within the range on both sides; disorder at its edges is left out.

        With offsets, partitions' timestamps overlap, so a live record timed within the
        replay's span may come from before the range: only replay records missing live
        count then (`only_live` is not checked).
        """
        diff = OutputDiff(name, topic)
        source = plan.sources[0]
        one_way = source.from_ms is None and any(p.begin > p.start for p in source.partitions)
        diff.one_way = one_way
        low, high = self.times.get(name, (0, -1))
        low = source.from_ms if source.from_ms is not None else low
        high = source.to_ms - 1 if source.to_ms is not None else high
        ours = Counter({i: n for i, n in self.sinks[name].items() if low <= i[2] <= high})
        live: Counter[tuple[bytes | None, bytes | None, int]] = Counter(
            (m.key, m.value, m.timestamp_ms)
            for m in read_topic(settings, topic)
            if low <= m.timestamp_ms <= high
        )
        for item in sorted(set(live) | set(ours), key=repr):
            both = min(live[item], ours[item])
            diff.compared += both
            if live[item] > both and not one_way:
                diff.only_live += live[item] - both
                diff.sample("only live", item[0], item[1])
            if ours[item] > both:
                diff.only_replay += ours[item] - both
                diff.sample("only replay", item[0], None, item[1])
        return diff

    def _dead_letters(self, settings: Settings, topic: str, plan: ReplayPlan) -> OutputDiff:
        diff = OutputDiff("dead letters", topic)
        ranges = {
            (s.topic, p.partition): (p.begin, p.end) for s in plan.sources for p in s.partitions
        }
        live: Counter[tuple[str, int, int, str]] = Counter()
        for msg in read_topic(settings, topic):
            h = {k: (v or b"").decode(errors="replace") for k, v in msg.headers}
            try:
                where = (h["dlq.source.topic"], int(h["dlq.source.partition"]))
                offset = int(h["dlq.source.offset"])
            except (KeyError, ValueError):
                continue
            span = ranges.get(where)
            if span is not None and span[0] <= offset < span[1]:
                live[(*where, offset, h.get("dlq.reason", ""))] += 1
        ours = self.letters
        for item in sorted(set(live) | set(ours)):
            label = f"{item[0]}[{item[1]}]@{item[2]} {item[3]}"
            if item not in ours:
                diff.only_live += 1
                diff.sample("only live", label)
            elif item not in live:
                diff.only_replay += 1
                diff.sample("only replay", label)
            else:
                diff.compared += 1
        return diff
