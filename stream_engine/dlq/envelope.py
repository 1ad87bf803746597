"""The dead-letter envelope of DESIGN.md section 3.

`dlq.reason` is a short code that doubles as a metric label, so it never carries free
text; the human explanation goes to `dlq.message`. A dead letter larger than the topic
accepts keeps a truncated value and says so, so it can never block commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

REASONS = frozenset(
    {
        "decode",
        "schema",
        "rule",
        "missing_reference",
        "late",
        "duplicate",
        "eval_error",
        "sink_error",
    }
)
STAGES = frozenset({"decode", "quality", "enrich", "filter", "map", "window", "sink"})
MAX_MESSAGE_CHARS = 1000
# Kafka header values may be null; a null stays null all the way to the dead letter.
Headers = tuple[tuple[str, bytes | None], ...]
REDRIVEN_FROM = "dlq.redriven.from"
TRUNCATION_RESERVE = 64  # room for dlq.truncated and dlq.original.size


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A failed record: its original bytes and where it came from."""

    reason: str
    stage: str
    message: str
    key: bytes | None
    value: bytes | None
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    rule: str = ""
    headers: Headers = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"unknown dead-letter reason {self.reason!r}")
        if self.stage not in STAGES:
            raise ValueError(f"unknown dead-letter stage {self.stage!r}")


@dataclass(frozen=True, slots=True)
class DeadLetterMessage:
    """What goes to the dead-letter topic."""

    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]


def dead_letter_message(
    letter: DeadLetter, pipeline: str, now_ms: int, max_message_bytes: int
) -> DeadLetterMessage:
    """Envelope a dead letter: original headers first, then the dlq.* headers.

    Key, value and headers together never exceed `max_message_bytes`: the message is
    cut at a UTF-8 boundary first, then the value is truncated (and says so).
    """
    message = " ".join(letter.message.split())[:MAX_MESSAGE_CHARS]
    # A redriven record that fails again keeps where it was redriven from (loop tracing).
    original = [(k, v) for k, v in letter.headers if not k.startswith("dlq.") or k == REDRIVEN_FROM]
    tail: list[tuple[str, bytes]] = [
        ("dlq.stage", letter.stage.encode()),
        ("dlq.rule", letter.rule.encode()),
        ("dlq.pipeline", pipeline.encode()),
        ("dlq.source.topic", letter.topic.encode()),
        ("dlq.source.partition", str(letter.partition).encode()),
        ("dlq.source.offset", str(letter.offset).encode()),
        ("dlq.source.timestamp", str(letter.timestamp_ms).encode()),
        ("dlq.timestamp", str(now_ms).encode()),
    ]
    head = [*original, ("dlq.reason", letter.reason.encode())]
    fixed = len(letter.key or b"") + _headers_size(head) + _headers_size(tail)
    fixed += len("dlq.message")
    room = max(max_message_bytes - fixed - TRUNCATION_RESERVE, 0)
    encoded = message.encode()
    if len(encoded) > room:
        encoded = encoded[:room].decode("utf-8", errors="ignore").encode()
    headers = [*head, ("dlq.message", encoded), *tail]
    value = letter.value
    used = len(letter.key or b"") + _headers_size(headers)
    if value is not None and used + len(value) > max_message_bytes:
        headers += [
            ("dlq.truncated", b"true"),
            ("dlq.original.size", str(len(value)).encode()),
        ]
        value = value[: max(max_message_bytes - len(letter.key or b"") - _headers_size(headers), 0)]
    return DeadLetterMessage(letter.key, value, headers)


def _headers_size(headers: Sequence[tuple[str, bytes | None]]) -> int:
    return sum(len(k.encode()) + len(v or b"") for k, v in headers)


def parse_dead_letter_headers(headers: list[tuple[str, bytes]] | None) -> dict[str, str]:
    """The dlq.* headers of a consumed dead letter as text."""
    out: dict[str, str] = {}
    for key, value in headers or []:
        if key.startswith("dlq."):
            out[key] = (value or b"").decode("utf-8", errors="replace")
    return out
