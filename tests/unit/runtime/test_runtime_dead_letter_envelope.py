"""The dead-letter envelope: original bytes, the dlq.* headers in order, bounded size."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream_engine.dlq import (
    REASONS,
    STAGES,
    DeadLetter,
    DeadLetterMessage,
    dead_letter_message,
    parse_dead_letter_headers,
)
from stream_engine.dlq.envelope import MAX_MESSAGE_CHARS

DLQ_HEADERS = [
    "dlq.reason",
    "dlq.message",
    "dlq.stage",
    "dlq.rule",
    "dlq.pipeline",
    "dlq.source.topic",
    "dlq.source.partition",
    "dlq.source.offset",
    "dlq.source.timestamp",
    "dlq.timestamp",
]


def letter(**changes: Any) -> DeadLetter:
    fields: dict[str, Any] = {
        "reason": "eval_error",
        "stage": "map",
        "message": 'ratio: division by zero in "1 / x"',
        "key": b"user-7",
        "value": b'{"x": 0}',
        "topic": "page-views",
        "partition": 3,
        "offset": 1234,
        "timestamp_ms": 1_700_000_000_123,
        "rule": "steps[2]",
        "headers": (("trace-id", b"t-1"), ("source", b"web")),
    }
    fields.update(changes)
    return DeadLetter(**fields)


def size(message: DeadLetterMessage) -> int:
    """Bytes the broker counts for one record: key, value and every header."""
    headers = sum(len(k.encode()) + len(v) for k, v in message.headers)
    return len(message.key or b"") + len(message.value or b"") + headers


def test_headers_carry_the_original_headers_then_the_dlq_headers_in_order() -> None:
    msg = dead_letter_message(letter(), "clickstream", 1_800_000_000_000, 1_000_000)

    assert msg.key == b"user-7"
    assert msg.value == b'{"x": 0}'
    assert msg.headers == [
        ("trace-id", b"t-1"),
        ("source", b"web"),
        ("dlq.reason", b"eval_error"),
        ("dlq.message", b'ratio: division by zero in "1 / x"'),
        ("dlq.stage", b"map"),
        ("dlq.rule", b"steps[2]"),
        ("dlq.pipeline", b"clickstream"),
        ("dlq.source.topic", b"page-views"),
        ("dlq.source.partition", b"3"),
        ("dlq.source.offset", b"1234"),
        ("dlq.source.timestamp", b"1700000000123"),
        ("dlq.timestamp", b"1800000000000"),
    ]


def test_incoming_dlq_headers_are_replaced_and_others_kept_as_they_were() -> None:
    """A redriven record that fails again carries only the new failure's dlq.* headers."""
    incoming = (
        ("dlq.reason", b"decode"),
        ("a", b"1"),
        ("dlq.message", b"old failure"),
        ("a", b"2"),  # duplicates stay, in order
        ("empty", b""),
        ("dlq.truncated", b"true"),
    )

    msg = dead_letter_message(letter(headers=incoming), "p", 0, 1_000_000)

    assert msg.headers[:3] == [("a", b"1"), ("a", b"2"), ("empty", b"")]
    assert [k for k, _ in msg.headers[3:]] == DLQ_HEADERS
    assert dict(msg.headers)["dlq.reason"] == b"eval_error"


def test_rule_may_be_empty() -> None:
    msg = dead_letter_message(letter(rule="", reason="decode", stage="decode"), "p", 0, 10**6)

    assert dict(msg.headers)["dlq.rule"] == b""


def test_tombstone_value_stays_null() -> None:
    msg = dead_letter_message(letter(value=None, key=None), "p", 0, 1024)

    assert (msg.key, msg.value) == (None, None)
    assert "dlq.truncated" not in dict(msg.headers)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("line one\nline two", "line one line two"),
        ("  tabs\tand\r\n  spaces  ", "tabs and spaces"),
        ("unicode ✓ stays", "unicode ✓ stays"),
        ("", ""),
    ],
)
def test_message_is_collapsed_to_one_line(text: str, expected: str) -> None:
    msg = dead_letter_message(letter(message=text), "p", 0, 1_000_000)

    assert dict(msg.headers)["dlq.message"].decode() == expected


def test_long_message_is_bounded() -> None:
    msg = dead_letter_message(letter(message="word " * 10_000), "p", 0, 1_000_000)

    text = dict(msg.headers)["dlq.message"].decode()
    assert 0 < len(text) <= MAX_MESSAGE_CHARS
    assert text.startswith("word word")


@pytest.mark.parametrize("limit", [1024, 5000, 20_000, 1_000_000])
def test_value_larger_than_the_topic_allows_is_truncated(limit: int) -> None:
    original = bytes(range(256)) * (limit // 256 + 10)

    msg = dead_letter_message(letter(value=original), "p", 0, limit)

    headers = dict(msg.headers)
    assert headers["dlq.truncated"] == b"true"
    assert headers["dlq.original.size"] == str(len(original)).encode()
    assert msg.headers[-2:] == [
        ("dlq.truncated", b"true"),
        ("dlq.original.size", str(len(original)).encode()),
    ]
    assert msg.value is not None
    assert original.startswith(msg.value)
    assert size(msg) <= limit
    if limit >= 20_000:
        assert len(msg.value) >= limit - 8192  # keeps what fits, not just a token prefix


@pytest.mark.parametrize("limit", [1024, 2000, 4096, 10_000, 1_000_000])
def test_dead_letter_that_fits_is_not_truncated(limit: int) -> None:
    """Only a dead letter too large for the topic loses bytes (DESIGN.md section 3)."""
    original = b'{"user_id": 7, "amount": "twelve"}'

    msg = dead_letter_message(letter(value=original), "p", 0, limit)

    assert size(msg) <= limit
    assert msg.value == original
    assert "dlq.truncated" not in dict(msg.headers)


# Long messages are what stresses the limit; plain st.text() rarely draws them.
repeated = st.builds(
    lambda chunk, n: chunk * n,
    st.sampled_from(["x", "é", "✓", "😀", "a b\n"]),
    st.integers(0, 1500),
)


@settings(max_examples=200, deadline=None)
@given(
    limit=st.sampled_from([1024, 1500, 3000, 4096, 8192, 65_536]),
    text=st.text(max_size=40) | repeated,
    key=st.none() | st.binary(max_size=64),
    value=st.none() | st.binary(max_size=70_000),
    headers=st.lists(st.tuples(st.text(max_size=12), st.binary(max_size=24)), max_size=4),
)
def test_the_whole_dead_letter_fits_in_max_message_bytes(
    limit: int, text: str, key: bytes | None, value: bytes | None, headers: list[Any]
) -> None:
    original = letter(message=text, key=key, value=value, headers=tuple(headers))

    msg = dead_letter_message(original, "pipeline-name", 1_800_000_000_000, limit)

    assert size(msg) <= limit
    assert msg.key == key
    truncated = dict(msg.headers).get("dlq.truncated") == b"true"
    if value is None or not truncated:
        assert msg.value == value
    else:
        assert value.startswith(msg.value or b"")
        assert dict(msg.headers)["dlq.original.size"] == str(len(value)).encode()


@pytest.mark.parametrize("reason", sorted(REASONS))
def test_every_documented_reason_is_accepted(reason: str) -> None:
    msg = dead_letter_message(letter(reason=reason), "p", 0, 10**6)

    assert dict(msg.headers)["dlq.reason"] == reason.encode()


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_every_documented_stage_is_accepted(stage: str) -> None:
    msg = dead_letter_message(letter(stage=stage), "p", 0, 10**6)

    assert dict(msg.headers)["dlq.stage"] == stage.encode()


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"reason": "oops"}, id="unknown-reason"),
        pytest.param({"reason": "decode: bad bytes"}, id="free-text-reason"),
        pytest.param({"reason": "DECODE"}, id="reason-case"),
        pytest.param({"reason": ""}, id="empty-reason"),
        pytest.param({"stage": "sinks"}, id="unknown-stage"),
        pytest.param({"stage": ""}, id="empty-stage"),
    ],
)
def test_unknown_reason_or_stage_is_rejected(changes: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="unknown dead-letter"):
        letter(**changes)


def test_documented_codes_match_the_design() -> None:
    assert {
        "decode",
        "schema",
        "rule",
        "missing_reference",
        "late",
        "duplicate",
        "eval_error",
        "sink_error",
    } == REASONS
    assert {"decode", "quality", "enrich", "filter", "map", "window", "sink"} == STAGES


def test_consumed_headers_parse_back_to_text() -> None:
    msg = dead_letter_message(letter(headers=(("other", b"x"),)), "clicks", 42, 10**6)

    parsed = parse_dead_letter_headers(msg.headers)

    assert list(parsed) == DLQ_HEADERS
    assert parsed["dlq.source.offset"] == "1234"
    assert parsed["dlq.pipeline"] == "clicks"
    assert parse_dead_letter_headers(None) == {}
    assert parse_dead_letter_headers([("dlq.x", b"\xff")]) == {"dlq.x": "\ufffd"}


def test_a_redriven_record_that_fails_again_keeps_its_redrive_origin() -> None:
    incoming = (("dlq.redriven.from", b"p.dlq:0:7"), ("dlq.reason", b"decode"), ("h", b"1"))
    msg = dead_letter_message(letter(headers=incoming), "p", 0, 1_000_000)
    names = [k for k, _ in msg.headers]
    assert ("dlq.redriven.from", b"p.dlq:0:7") in msg.headers
    assert names.count("dlq.reason") == 1
    assert ("h", b"1") in msg.headers
