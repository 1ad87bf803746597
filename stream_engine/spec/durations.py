"""Durations written the way people say them: ``500ms``, ``30s``, ``5m``, ``2h``, ``7d``.

A bare number is refused (except ``0``): in a pipeline file ``retention: 7`` could mean
seven days or seven milliseconds, and guessing wrong deletes data. The same parser serves
the pipeline file and CLI arguments, so both accept exactly the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_UNIT_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d)")
_FRACTION = re.compile(r"(\d*\.\d+)(ms|s|m|h|d)")
_MAX_MS = 2**63 - 1  # Kafka stores durations as Java longs
_HINT = "a whole number followed by a unit: ms, s, m, h or d (e.g. 500ms, 30s, 5m, 2h, 7d)"


def parse_duration(text: str) -> int:
    """Return the duration in ``text`` in milliseconds; raise ValueError saying what is wrong."""
    stripped = text.strip()
    if stripped == "0":
        return 0
    match = _DURATION.fullmatch(stripped)
    if match is None:
        fraction = _FRACTION.fullmatch(stripped)
        if fraction:
            raise ValueError(f"invalid duration {text!r}: {_fraction_hint(fraction)}")
        raise ValueError(f"invalid duration {text!r}: expected {_HINT}")
    ms = int(match.group(1)) * _UNIT_MS[match.group(2)]
    if ms > _MAX_MS:
        raise ValueError(f"invalid duration {text!r}: too large")
    return ms


def _fraction_hint(match: re.Match[str]) -> str:
    ms = Decimal(match.group(1)) * _UNIT_MS[match.group(2)]
    if ms == ms.to_integral_value():
        return f"fractions are not supported, write {format_duration(int(ms))}"
    return "fractions are not supported and the smallest unit is 1ms"


def format_duration(ms: int) -> str:
    """Write ``ms`` in the largest unit that divides it exactly, so it parses back unchanged."""
    if ms == 0:
        return "0ms"
    for unit in ("d", "h", "m", "s"):
        if ms % _UNIT_MS[unit] == 0:
            return f"{ms // _UNIT_MS[unit]}{unit}"
    return f"{ms}ms"


@dataclass(frozen=True, order=True)
class Duration:
    """A non-negative length of time; keeps milliseconds so the unit is never ambiguous."""

    ms: int

    def __post_init__(self) -> None:
        if isinstance(self.ms, bool) or not isinstance(self.ms, int) or self.ms < 0:
            raise ValueError(f"a duration needs a non-negative whole number of ms, got {self.ms!r}")

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Build a Duration from text such as ``200ms`` (see ``parse_duration``)."""
        return cls(parse_duration(text))

    @property
    def seconds(self) -> float:
        """The duration in seconds, for APIs that take float seconds."""
        return self.ms / 1000

    def __str__(self) -> str:
        return format_duration(self.ms)
