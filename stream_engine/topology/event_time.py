"""Event time of a record: a field (epoch ms or s, ISO-8601 with zone) or the Kafka timestamp."""

from __future__ import annotations

import math
from datetime import datetime

# Epoch values below this are seconds: 1e11 s is the year 5138, 1e11 ms is 1973.
_SECONDS_LIMIT = 100_000_000_000
# Event times must fall in years 1970..9999: one absurd value would otherwise push a
# partition's watermark past every future record (and overflow 64-bit timestamps).
MAX_MS = 253_402_300_799_999


class EventTimeError(ValueError):
    """The event-time field is missing or not a time; the record is dead-lettered."""


def event_time_ms(value: object, field: str) -> int:
    ms = _parse(value, field)
    if not 0 <= ms <= MAX_MS:
        raise EventTimeError(
            f"event time field {field!r} is {value!r}, outside 1970-01-01..9999-12-31"
        )
    return ms


def _parse(value: object, field: str) -> int:
    if value is None:
        raise EventTimeError(f"event time field {field!r} is missing or null")
    if isinstance(value, bool):
        raise EventTimeError(f"event time field {field!r} is a boolean, expected a time")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise EventTimeError(f"event time field {field!r} is {value}, expected a time")
        return int(value * 1000) if abs(value) < _SECONDS_LIMIT else int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise EventTimeError(
                f"event time field {field!r} is {value[:60]!r}, expected epoch ms or s "
                "or ISO-8601 with a zone"
            ) from None
        if parsed.tzinfo is None:
            raise EventTimeError(
                f"event time field {field!r} is {value[:60]!r}, which has no zone (add Z or +00:00)"
            )
        return int(parsed.timestamp() * 1000)
    raise EventTimeError(f"event time field {field!r} is a {type(value).__name__}, expected a time")
