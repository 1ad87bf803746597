"""Find, inspect and redrive dead letters (DESIGN.md section 3).

Everything here except `read_dead_letters`, `check_topics` and `redrive` is pure: a
dead letter read from the topic becomes a `DeadLetterView`, a `Selection` says which
views match the user's filters, and `plan_redrive` turns the selected views into the
records to produce again. The CLI only parses arguments and prints what these return.
"""

from __future__ import annotations

import base64
import heapq
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient

# Defined in these modules; confluent_kafka.admin re-exports them without __all__.
from confluent_kafka.admin._config import ConfigResource
from confluent_kafka.admin._resource import ResourceType

from connectors.kafka_admin import topic_partitions, wait_for_cluster
from connectors.kafka_config import producer_config
from connectors.kafka_reader import ConsumedMessage, read_topic
from stream_engine.dlq.envelope import REASONS, STAGES, Headers
from stream_engine.errors import BrokerError, ConfigError
from stream_engine.settings import Settings
from stream_engine.spec import parse_duration

REDRIVEN_FROM = "dlq.redriven.from"
HOUR_MS = 3_600_000
_ELLIPSIS = "…"
_PRINTABLE_CONTROLS = frozenset("\t\n\r")
_LOOKS_LIKE_DURATION = re.compile(r"[0-9.]+\s*[A-Za-z]+")
_SINCE_HINT = (
    "expected an ISO-8601 time (2024-05-01T12:00:00Z; no offset means UTC) "
    "or a duration ago (30m, 24h, 7d)"
)


# --------------------------------------------------------------------------- the view


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class DeadLetterView:
    """A consumed dead letter with its envelope headers parsed.

    Missing or malformed headers become empty strings / None rather than errors, so a
    record someone wrote to the topic by hand can still be listed.
    """

    dlq_topic: str
    dlq_partition: int
    dlq_offset: int
    record_timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: Headers  # every header, in order
    reason: str
    message: str
    stage: str
    rule: str
    pipeline: str
    source_topic: str
    source_partition: int | None
    source_offset: int | None
    source_timestamp_ms: int | None
    dead_lettered_ms: int  # dlq.timestamp, else the record's own timestamp
    truncated: bool
    original_size: int | None

    @classmethod
    def from_message(cls, msg: ConsumedMessage) -> DeadLetterView:
        """Parse the dlq.* headers of a record read from a dead-letter topic."""
        dlq: dict[str, str] = {}
        for name, raw in msg.headers:
            if name.startswith("dlq."):
                dlq[name] = (raw or b"").decode("utf-8", errors="replace")
        stamp = _int_or_none(dlq.get("dlq.timestamp"))
        return cls(
            dlq_topic=msg.topic,
            dlq_partition=msg.partition,
            dlq_offset=msg.offset,
            record_timestamp_ms=msg.timestamp_ms,
            key=msg.key,
            value=msg.value,
            headers=tuple(msg.headers),
            reason=dlq.get("dlq.reason", ""),
            message=dlq.get("dlq.message", ""),
            stage=dlq.get("dlq.stage", ""),
            rule=dlq.get("dlq.rule", ""),
            pipeline=dlq.get("dlq.pipeline", ""),
            source_topic=dlq.get("dlq.source.topic", ""),
            source_partition=_int_or_none(dlq.get("dlq.source.partition")),
            source_offset=_int_or_none(dlq.get("dlq.source.offset")),
            source_timestamp_ms=_int_or_none(dlq.get("dlq.source.timestamp")),
            dead_lettered_ms=stamp if stamp is not None else msg.timestamp_ms,
            truncated=dlq.get("dlq.truncated", "").strip().lower() == "true",
            original_size=_int_or_none(dlq.get("dlq.original.size")),
        )

    @property
    def position(self) -> str:
        """Where this dead letter sits: ``<dlq topic>:<partition>:<offset>``."""
        return f"{self.dlq_topic}:{self.dlq_partition}:{self.dlq_offset}"

    @property
    def source(self) -> str:
        """Where the original record sat: ``<topic>:<partition>:<offset>`` (``?`` if unknown)."""
        if not self.source_topic:
            return "?"
        part = "?" if self.source_partition is None else str(self.source_partition)
        off = "?" if self.source_offset is None else str(self.source_offset)
        return f"{self.source_topic}:{part}:{off}"

    @property
    def original_headers(self) -> Headers:
        """The headers the original record carried (every dlq.* header removed)."""
        return tuple((k, v) for k, v in self.headers if not k.startswith("dlq."))


# --------------------------------------------------------------------------- selection


def parse_since(text: str, now_ms: int) -> int:
    """``--since`` as epoch ms: an ISO-8601 time, or a duration (``24h``) before ``now_ms``.

    A time without an offset is read as UTC. Raises ConfigError naming the option.
    """
    stripped = text.strip()
    try:
        return now_ms - parse_duration(stripped)
    except ValueError as exc:
        duration_error = exc
    try:
        when = datetime.fromisoformat(stripped)
    except ValueError:
        if _LOOKS_LIKE_DURATION.fullmatch(stripped):
            reason = _duration_reason(duration_error)
            raise ConfigError(f"invalid --since {text!r}: {reason}") from None
        raise ConfigError(f"invalid --since {text!r}: {_SINCE_HINT}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def _duration_reason(exc: ValueError) -> str:
    # parse_duration says "invalid duration '<text>': <why>"; keep only the why.
    text = str(exc)
    return text.split(": ", 1)[1] if ": " in text else text


def _check_choices(option: str, values: Sequence[str], allowed: frozenset[str]) -> frozenset[str]:
    for value in values:
        if value not in allowed:
            choices = ", ".join(sorted(allowed))
            raise ConfigError(f"invalid {option} {value!r}: expected one of {choices}")
    return frozenset(values)


@dataclass(frozen=True, slots=True)
class Selection:
    """Which dead letters a command acts on; an empty filter matches everything."""

    reasons: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    since_ms: int | None = None

    @classmethod
    def parse(
        cls,
        reasons: Sequence[str] = (),
        stages: Sequence[str] = (),
        since: str | None = None,
        now_ms: int | None = None,
    ) -> Selection:
        """Validate CLI filter values; any bad one is a ConfigError (exit 2) naming it."""
        now = int(time.time() * 1000) if now_ms is None else now_ms
        return cls(
            reasons=_check_choices("--reason", reasons, REASONS),
            stages=_check_choices("--stage", stages, STAGES),
            since_ms=None if since is None else parse_since(since, now),
        )

    def matches(self, view: DeadLetterView) -> bool:
        if self.reasons and view.reason not in self.reasons:
            return False
        if self.stages and view.stage not in self.stages:
            return False
        return self.since_ms is None or view.dead_lettered_ms >= self.since_ms

    def select(self, views: Iterable[DeadLetterView]) -> Iterator[DeadLetterView]:
        return (v for v in views if self.matches(v))


def _chronological(view: DeadLetterView) -> tuple[int, int, int]:
    return (view.dead_lettered_ms, view.dlq_partition, view.dlq_offset)


@dataclass(frozen=True, slots=True)
class Inspection:
    """What `inspect` shows: the most recent matches plus counts over every match."""

    total: int  # dead letters in the topic
    matched: int
    by_reason: dict[str, int]
    truncated: int
    shown: list[DeadLetterView]  # oldest first


def inspect_views(
    views: Iterable[DeadLetterView], selection: Selection, limit: int | None
) -> Inspection:
    """Filter, count by reason, and keep the ``limit`` most recent matches (None: all).

    Memory stays bounded by ``limit`` however large the topic is.
    """
    total = matched = truncated = 0
    reasons: Counter[str] = Counter()
    heap: list[tuple[tuple[int, int, int], DeadLetterView]] = []
    kept: list[DeadLetterView] = []
    for view in views:
        total += 1
        if not selection.matches(view):
            continue
        matched += 1
        reasons[view.reason or "?"] += 1
        truncated += view.truncated
        if limit is None:
            kept.append(view)
        elif limit > 0:
            item = (_chronological(view), view)
            if len(heap) < limit:
                heapq.heappush(heap, item)
            elif item[0] > heap[0][0]:
                heapq.heapreplace(heap, item)
    shown = kept if limit is None else [v for _, v in heap]
    shown.sort(key=_chronological)
    by_reason = dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    return Inspection(total, matched, by_reason, truncated, shown)


# --------------------------------------------------------------------------- formatting


def format_time(ms: int | None) -> str:
    """Epoch ms as ISO-8601 UTC with milliseconds, e.g. ``2024-05-01T12:00:00.123Z``."""
    if ms is None:
        return "?"
    try:
        when = datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return str(ms)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def shorten(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with a trailing ellipsis."""
    flat = " ".join(text.split()) if ("\n" in text or "\r" in text or "\t" in text) else text
    if len(flat) <= width:
        return flat
    return flat[: max(width - 1, 0)] + _ELLIPSIS


def as_text(data: bytes) -> str | None:
    """The bytes as text when they are UTF-8 without control characters, else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any((ch < " " and ch not in _PRINTABLE_CONTROLS) or ch == "\x7f" for ch in text):
        return None
    return text


def preview(data: bytes | None, width: int = 40) -> str:
    """A one-line preview: text shortened, binary as ``<N bytes: hex…>``, None as ``(null)``."""
    if data is None:
        return "(null)"
    text = as_text(data)
    if text is not None:
        return shorten(text, width) if text else '""'
    unit = "byte" if len(data) == 1 else "bytes"
    head = f"<{len(data)} {unit}: "
    room = max((width - len(head) - 2) // 2, 4)
    hexed = data[:room].hex()
    return f"{head}{hexed}{_ELLIPSIS if len(data) > room else ''}>"


def encode_bytes(data: bytes | None) -> tuple[str | None, str | None]:
    """(text, encoding) for JSON: UTF-8 text as is, anything else as base64."""
    if data is None:
        return None, None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), "base64"


def view_to_json(view: DeadLetterView) -> dict[str, Any]:
    """Everything about one dead letter as JSON-ready data (one line of ``inspect --json``)."""
    key, key_encoding = encode_bytes(view.key)
    value, value_encoding = encode_bytes(view.value)
    headers = []
    for name, raw in view.headers:
        text, encoding = encode_bytes(raw)
        headers.append({"name": name, "value": text, "encoding": encoding})
    return {
        "dlq": {
            "topic": view.dlq_topic,
            "partition": view.dlq_partition,
            "offset": view.dlq_offset,
            "timestamp": view.record_timestamp_ms,
        },
        "dead_lettered_at": format_time(view.dead_lettered_ms),
        "dead_lettered_ms": view.dead_lettered_ms,
        "reason": view.reason,
        "stage": view.stage,
        "rule": view.rule,
        "message": view.message,
        "pipeline": view.pipeline,
        "source": {
            "topic": view.source_topic,
            "partition": view.source_partition,
            "offset": view.source_offset,
            "timestamp": view.source_timestamp_ms,
        },
        "truncated": view.truncated,
        "original_size": view.original_size,
        "key": key,
        "key_encoding": key_encoding,
        "value": value,
        "value_encoding": value_encoding,
        "headers": headers,
    }


# --------------------------------------------------------------------------- reading


def read_dead_letters(
    settings: Settings, topic: str, connect_timeout_s: float = 15
) -> Iterator[DeadLetterView]:
    """Every dead letter currently in ``topic``, read without a consumer group.

    The cluster and the topic are checked first, so an unreachable broker or a missing
    topic is one clear error rather than client log noise.
    """
    admin = wait_for_cluster(settings, timeout_s=connect_timeout_s)
    try:
        found = topic_partitions(admin, [topic])
    except KafkaException as exc:
        raise BrokerError(f"cannot list topics: {exc.args[0]}") from None
    if topic not in found:
        raise BrokerError(
            f"dead-letter topic {topic!r} does not exist "
            "(the worker creates it when it starts; check --topic or the pipeline file)"
        )
    for msg in read_topic(settings, topic):
        yield DeadLetterView.from_message(msg)


# --------------------------------------------------------------------------- redrive


@dataclass(frozen=True, slots=True)
class RedriveRecord:
    """One record to produce back to the topic it came from."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers
    timestamp_ms: int | None
    origin: str  # the dead letter's position, also the dlq.redriven.from header

    @property
    def size(self) -> int:
        headers = sum(len(k) + len(v or b"") for k, v in self.headers)
        return len(self.key or b"") + len(self.value or b"") + headers


@dataclass
class RedrivePlan:
    """The records to send, and the dead letters left out with why."""

    records: list[RedriveRecord] = field(default_factory=list)
    truncated: int = 0  # never redriven: their value is incomplete
    no_source: int = 0  # no dlq.source.topic header: nowhere to send them
    missing_topics: dict[str, int] = field(default_factory=dict)  # source topic gone
    expired: dict[str, int] = field(default_factory=dict)  # kept timestamp past retention
    duplicates: int = 0  # the same source record dead-lettered again (at-least-once)

    def by_topic(self) -> dict[str, int]:
        return dict(sorted(Counter(r.topic for r in self.records).items()))

    @property
    def skipped(self) -> int:
        dropped = sum(self.missing_topics.values()) + sum(self.expired.values())
        return self.truncated + self.no_source + self.duplicates + dropped


def redrive_record(view: DeadLetterView, keep_timestamp: bool = False) -> RedriveRecord:
    """The original record again: key, value and headers, minus dlq.*, plus where from.

    The timestamp is left to the producer (the time of the redrive) unless
    ``keep_timestamp``, then it is the original record's.
    """
    headers = (*view.original_headers, (REDRIVEN_FROM, view.position.encode()))
    return RedriveRecord(
        view.source_topic,
        view.key,
        view.value,
        headers,
        view.source_timestamp_ms if keep_timestamp else None,
        view.position,
    )


def _source_order(view: DeadLetterView) -> tuple[str, int, int, int, int]:
    return (
        view.source_topic,
        -1 if view.source_partition is None else view.source_partition,
        -1 if view.source_offset is None else view.source_offset,
        view.dlq_partition,
        view.dlq_offset,
    )


def plan_redrive(views: Iterable[DeadLetterView], keep_timestamp: bool = False) -> RedrivePlan:
    """Records for the redrivable views, ordered by source position (keeps per-key order).

    Delivery is at-least-once, so a batch processed again after a crash can dead-letter
    the same source record twice; it is redriven once.
    """
    plan = RedrivePlan()
    chosen: list[DeadLetterView] = []
    seen: set[tuple[str, int, int]] = set()
    for view in views:
        if view.truncated:
            plan.truncated += 1
            continue
        if not view.source_topic:
            plan.no_source += 1
            continue
        if view.source_partition is not None and view.source_offset is not None:
            origin = (view.source_topic, view.source_partition, view.source_offset)
            if origin in seen:
                plan.duplicates += 1
                continue
            seen.add(origin)
        chosen.append(view)
    chosen.sort(key=_source_order)
    plan.records = [redrive_record(v, keep_timestamp) for v in chosen]
    return plan


def drop_missing_topics(plan: RedrivePlan, existing: Iterable[str]) -> RedrivePlan:
    """Move the records whose topic is not in ``existing`` to ``missing_topics``."""
    present = set(existing)
    missing = Counter(r.topic for r in plan.records if r.topic not in present)
    return replace(
        plan,
        records=[r for r in plan.records if r.topic in present],
        missing_topics=dict(sorted(missing.items())),
    )


def retention_floor(retention_ms: int, now_ms: int) -> int:
    """The oldest timestamp a record may carry to outlive the next retention check.

    Leaves a safety margin (an hour, or half the retention when shorter) so the worker has
    time to read a redriven record before the broker deletes it.
    """
    margin = min(HOUR_MS, retention_ms // 2)
    return now_ms - retention_ms + margin


def drop_expired(plan: RedrivePlan, retention_ms: dict[str, int], now_ms: int) -> RedrivePlan:
    """Move kept-timestamp records their topic's time retention would delete to ``expired``.

    ``retention_ms`` maps a topic to its retention.ms; absent topics (unlimited retention,
    or LogAppendTime topics, whose timestamps the broker sets) are never dropped.
    """
    keep: list[RedriveRecord] = []
    expired: Counter[str] = Counter()
    for rec in plan.records:
        limit = retention_ms.get(rec.topic)
        stamp = rec.timestamp_ms
        if stamp is not None and limit is not None and stamp < retention_floor(limit, now_ms):
            expired[rec.topic] += 1
        else:
            keep.append(rec)
    return replace(plan, records=keep, expired=dict(sorted(expired.items())))


def _time_retention(admin: AdminClient, topics: Sequence[str]) -> dict[str, int]:
    """retention.ms of the topics that delete by time on CreateTime timestamps."""
    resources = [ConfigResource(ResourceType.TOPIC, t) for t in topics]
    out: dict[str, int] = {}
    for resource, future in admin.describe_configs(resources).items():
        try:
            entries = future.result()
        except KafkaException as exc:
            raise BrokerError(f"cannot read the configs of topic {resource.name}: {exc}") from None
        values = {name: str(entry.value) for name, entry in entries.items()}
        if "delete" not in values.get("cleanup.policy", "delete"):
            continue  # compacted only: never deleted by age
        if values.get("message.timestamp.type") == "LogAppendTime":
            continue  # the broker stamps records itself
        retention = _int_or_none(values.get("retention.ms"))
        if retention is not None and retention >= 0:
            out[str(resource.name)] = retention
    return out


def check_topics(settings: Settings, plan: RedrivePlan, now_ms: int | None = None) -> RedrivePlan:
    """Skip records whose source topic is gone (never create it) and, when timestamps are
    kept, those the topic's retention would delete right away."""
    wanted = sorted({r.topic for r in plan.records})
    if not wanted:
        return plan
    admin = wait_for_cluster(settings, timeout_s=30)
    try:
        existing = topic_partitions(admin, wanted)
    except KafkaException as exc:
        raise BrokerError(f"cannot list topics: {exc.args[0]}") from None
    plan = drop_missing_topics(plan, existing)
    if not any(r.timestamp_ms is not None for r in plan.records):
        return plan
    retention = _time_retention(admin, sorted(existing))
    now = int(time.time() * 1000) if now_ms is None else now_ms
    return drop_expired(plan, retention, now)


@dataclass
class RedriveResult:
    sent: dict[str, int] = field(default_factory=dict)  # acknowledged, per topic
    failed: dict[str, int] = field(default_factory=dict)  # refused or unacknowledged, per topic
    first_error: str = ""


def redrive(
    settings: Settings,
    records: Sequence[RedriveRecord],
    timeout_s: float = 120,
) -> RedriveResult:
    """Produce ``records`` with the project's producer config and check every delivery.

    Returns what was acknowledged and what failed per topic; the caller decides how to
    report a partial failure. Nothing is retried beyond what the idempotent producer does.
    """
    result = RedriveResult()
    if not records:
        return result
    biggest = max(r.size for r in records)
    producer = Producer(
        producer_config(settings, **{"message.max.bytes": max(1_048_576, biggest + 65_536)})
    )
    pending: Counter[str] = Counter()
    acked: Counter[str] = Counter()
    failed: Counter[str] = Counter()

    def fail(topic: str, reason: str) -> None:
        failed[topic] += 1
        if not result.first_error:
            result.first_error = f"{topic}: {reason}"

    def on_delivery(err: KafkaError | None, msg: Message) -> None:
        topic = str(msg.topic())
        pending[topic] -= 1
        if err is None:
            acked[topic] += 1
        else:
            fail(topic, err.str())

    for rec in records:
        kwargs: dict[str, Any] = {
            "key": rec.key,
            "value": rec.value,
            "headers": list(rec.headers),
            "on_delivery": on_delivery,
        }
        if rec.timestamp_ms is not None and rec.timestamp_ms > 0:
            kwargs["timestamp"] = rec.timestamp_ms
        while True:
            try:
                producer.produce(rec.topic, **kwargs)
                pending[rec.topic] += 1
                break
            except BufferError:
                producer.poll(0.1)
            except KafkaException as exc:  # refused before sending (e.g. too large)
                fail(rec.topic, exc.args[0].str())
                break
        producer.poll(0)
    producer.flush(timeout_s)
    for topic, count in pending.items():
        if count > 0:
            failed[topic] += count
            if not result.first_error:
                result.first_error = f"{topic}: not acknowledged within {timeout_s:.0f}s"
    result.sent = dict(sorted(acked.items()))
    result.failed = dict(sorted(failed.items()))
    return result
