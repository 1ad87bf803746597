"""Dead-letter views, --since parsing, filters, inspect counts and the redrive plan (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.kafka_reader import ConsumedMessage
from stream_engine.dlq import DeadLetter, dead_letter_message
from stream_engine.dlq.tools import (
    REDRIVEN_FROM,
    DeadLetterView,
    Selection,
    drop_expired,
    drop_missing_topics,
    inspect_views,
    parse_since,
    plan_redrive,
    retention_floor,
)
from stream_engine.errors import ConfigError

NOW = 1_714_564_800_000  # 2024-05-01T12:00:00Z
HOUR = 3_600_000


def view(
    offset: int = 0,
    *,
    reason: str = "decode",
    stage: str = "decode",
    at: int = NOW,
    value: bytes | None = b'{"id": 1}',
    max_bytes: int = 1_000_000,
    source_topic: str = "orders",
    partition: int = 0,
    headers: tuple[tuple[str, bytes], ...] = (("trace", b"t-1"),),
    **extra: Any,
) -> DeadLetterView:
    letter = DeadLetter(
        reason=reason,
        stage=stage,
        message="bad bytes",
        key=b"k1",
        value=value,
        topic=source_topic,
        partition=3,
        offset=100 + offset,
        timestamp_ms=at - 5_000,
        headers=headers,
        **extra,
    )
    msg = dead_letter_message(letter, "orders-clean", at, max_bytes)
    consumed = ConsumedMessage(
        "orders.dlq", partition, offset, at, msg.key, msg.value, tuple(msg.headers)
    )
    return DeadLetterView.from_message(consumed)


def test_view_parses_every_envelope_header() -> None:
    v = view(7, reason="rule", stage="filter", rule="amount > 0")
    assert (v.reason, v.stage, v.rule, v.message) == ("rule", "filter", "amount > 0", "bad bytes")
    assert v.pipeline == "orders-clean"
    assert (v.source_topic, v.source_partition, v.source_offset) == ("orders", 3, 107)
    assert v.source_timestamp_ms == NOW - 5_000
    assert v.dead_lettered_ms == NOW
    assert not v.truncated and v.original_size is None
    assert v.position == "orders.dlq:0:7"
    assert v.source == "orders:3:107"
    assert v.original_headers == (("trace", b"t-1"),)


def test_view_of_a_truncated_dead_letter() -> None:
    v = view(value=b"x" * 20_000, max_bytes=8_192)
    assert v.truncated
    assert v.original_size == 20_000
    assert v.value is not None and len(v.value) < 20_000


def test_view_tolerates_a_record_without_envelope() -> None:
    raw = ConsumedMessage("orders.dlq", 1, 5, 42, None, b"junk", (("dlq.timestamp", b"nan"),))
    v = DeadLetterView.from_message(raw)
    assert (v.reason, v.stage, v.source_topic) == ("", "", "")
    assert v.source_partition is None and v.source_offset is None
    assert v.dead_lettered_ms == 42  # falls back to the record timestamp
    assert v.source == "?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", NOW - 24 * HOUR),
        ("30m", NOW - 30 * 60_000),
        ("7d", NOW - 7 * 24 * HOUR),
        ("0", NOW),
        ("2024-05-01T10:00:00Z", NOW - 2 * HOUR),
        ("2024-05-01T10:00:00", NOW - 2 * HOUR),  # no offset: UTC
        ("2024-05-01T12:00:00+02:00", NOW - 2 * HOUR),
        ("2024-05-01", NOW - 12 * HOUR),
        (" 2024-05-01T12:00:00.500Z ", NOW + 500),
    ],
)
def test_parse_since(text: str, expected: int) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.5h", "invalid --since '1.5h': fractions are not supported, write 90m"),
        ("yesterday", "invalid --since 'yesterday': expected an ISO-8601 time"),
        ("7", "invalid --since '7': expected an ISO-8601 time"),
        ("", "invalid --since '': expected an ISO-8601 time"),
        ("2024-13-01", "invalid --since '2024-13-01': expected an ISO-8601 time"),
    ],
)
def test_parse_since_rejects(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_since(text, NOW)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_selection_validates_reason_and_stage() -> None:
    with pytest.raises(ConfigError, match=r"invalid --reason 'oops': expected one of decode, "):
        Selection.parse(["oops"], now_ms=NOW)
    with pytest.raises(ConfigError, match=r"invalid --stage 'nope': expected one of decode, "):
        Selection.parse(stages=["nope"], now_ms=NOW)
    sel = Selection.parse(["rule", "late"], ["filter"], "1h", now_ms=NOW)
    assert sel == Selection(frozenset({"rule", "late"}), frozenset({"filter"}), NOW - HOUR)


def test_selection_filters() -> None:
    views = [
        view(0, reason="decode", stage="decode", at=NOW - 3 * HOUR),
        view(1, reason="rule", stage="filter", at=NOW - 2 * HOUR),
        view(2, reason="rule", stage="map", at=NOW - HOUR),
        view(3, reason="sink_error", stage="sink", at=NOW),
    ]

    def offsets(sel: Selection) -> list[int]:
        return [v.dlq_offset for v in sel.select(views)]

    assert offsets(Selection()) == [0, 1, 2, 3]
    assert offsets(Selection.parse(["rule"], now_ms=NOW)) == [1, 2]
    assert offsets(Selection.parse(["rule"], ["map"], now_ms=NOW)) == [2]
    assert offsets(Selection.parse(stages=["sink", "decode"], now_ms=NOW)) == [0, 3]
    assert offsets(Selection.parse(since="2h", now_ms=NOW)) == [1, 2, 3]  # inclusive
    assert offsets(Selection.parse(since="2024-05-01T12:00:00Z", now_ms=NOW)) == [3]


def test_inspect_keeps_the_most_recent_and_counts_every_match() -> None:
    views = [view(i, reason="rule" if i % 3 else "decode", at=NOW + i) for i in range(10)]
    views.append(
        view(10, reason="late", stage="window", at=NOW + 10, value=b"x" * 9_000, max_bytes=4_200)
    )
    views.reverse()  # arrival order must not matter
    result = inspect_views(views, Selection(), limit=3)
    assert (result.total, result.matched, result.truncated) == (11, 11, 1)
    assert result.by_reason == {"rule": 6, "decode": 4, "late": 1}
    assert [v.dlq_offset for v in result.shown] == [8, 9, 10]  # oldest first

    everything = inspect_views(views, Selection(), limit=None)
    assert [v.dlq_offset for v in everything.shown] == list(range(11))

    only_decode = inspect_views(views, Selection(frozenset({"decode"})), limit=50)
    assert (only_decode.total, only_decode.matched) == (11, 4)
    assert only_decode.by_reason == {"decode": 4}
    assert [v.dlq_offset for v in only_decode.shown] == [0, 3, 6, 9]


def test_inspect_of_nothing() -> None:
    result = inspect_views([], Selection(), limit=5)
    assert (result.total, result.matched, result.shown, result.by_reason) == (0, 0, [], {})


def test_redrive_plan_restores_the_original_record() -> None:
    v = view(4, headers=(("trace", b"t-1"), ("bin", b"\xff\x00")))
    plan = plan_redrive([v])
    (rec,) = plan.records
    assert rec.topic == "orders"
    assert (rec.key, rec.value) == (b"k1", b'{"id": 1}')
    assert rec.headers == (
        ("trace", b"t-1"),
        ("bin", b"\xff\x00"),
        (REDRIVEN_FROM, b"orders.dlq:0:4"),
    )
    assert not any(k.startswith("dlq.") and k != REDRIVEN_FROM for k, _ in rec.headers)
    assert rec.timestamp_ms is None  # the producer stamps it: the time of the redrive
    (kept,) = plan_redrive([v], keep_timestamp=True).records
    assert kept.timestamp_ms == NOW - 5_000  # the original record timestamp
    assert kept.headers == rec.headers


def test_redrive_plan_skips_truncated_and_sourceless_and_orders_by_source() -> None:
    views = [
        view(0, source_topic="payments"),
        view(1, value=b"x" * 9_000, max_bytes=4_200),
        view(2, source_topic="orders"),
        DeadLetterView.from_message(ConsumedMessage("orders.dlq", 0, 3, NOW, None, b"?", ())),
    ]
    plan = plan_redrive(views)
    assert [r.origin for r in plan.records] == ["orders.dlq:0:2", "orders.dlq:0:0"]
    assert (plan.truncated, plan.no_source) == (1, 1)
    assert plan.by_topic() == {"orders": 1, "payments": 1}

    checked = drop_missing_topics(plan, ["orders"])
    assert [r.topic for r in checked.records] == ["orders"]
    assert checked.missing_topics == {"payments": 1}
    assert checked.skipped == 3


def test_redrive_plan_keeps_source_order_across_dead_letter_partitions() -> None:
    a = view(9, partition=1)  # source offset 109
    b = view(2, partition=0)  # source offset 102
    assert [r.origin for r in plan_redrive([a, b]).records] == [
        "orders.dlq:0:2",
        "orders.dlq:1:9",
    ]


def test_retention_floor_keeps_a_margin() -> None:
    day = 24 * HOUR
    assert retention_floor(7 * day, NOW) == NOW - 7 * day + HOUR
    assert retention_floor(HOUR, NOW) == NOW - HOUR // 2  # short retention: half of it


def test_drop_expired_only_touches_kept_timestamps_on_time_retained_topics() -> None:
    old = view(0, at=NOW - 48 * HOUR)  # source timestamp 48h (and 5s) ago
    fresh = view(1, at=NOW - HOUR)
    elsewhere = view(2, at=NOW - 48 * HOUR, source_topic="forever")
    kept = plan_redrive([old, fresh, elsewhere], keep_timestamp=True)
    retention = {"orders": 24 * HOUR}  # "forever" is absent: unlimited retention
    checked = drop_expired(kept, retention, NOW)
    assert [r.origin for r in checked.records] == ["orders.dlq:0:2", "orders.dlq:0:1"]
    assert checked.expired == {"orders": 1}
    assert checked.skipped == 1

    fresh_stamps = plan_redrive([old, fresh, elsewhere])  # timestamps left to the producer
    assert drop_expired(fresh_stamps, retention, NOW).records == fresh_stamps.records


def test_redrive_plan_sends_a_twice_dead_lettered_record_once() -> None:
    first, again, other = view(0), view(0), view(1)  # same source offset 100 twice
    again = DeadLetterView.from_message(
        ConsumedMessage("orders.dlq", 1, 9, NOW, first.key, first.value, first.headers)
    )
    plan = plan_redrive([first, again, other])
    assert [r.origin for r in plan.records] == ["orders.dlq:0:0", "orders.dlq:0:1"]
    assert plan.duplicates == 1
