"""What a window is: its kind and lengths, validated once, plus the few derived times.

Every other module asks this one when a window ends, when it closes and how far back a
replay must warm up, so those rules live in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

WindowKind = Literal["tumbling", "hopping", "sliding", "session"]
KINDS: tuple[WindowKind, ...] = ("tumbling", "hopping", "sliding", "session")


@dataclass(frozen=True)
class WindowDef:
    """A window definition; all lengths in milliseconds.

    tumbling: ``size``; hopping: ``size`` and ``advance`` (0 < advance <= size);
    sliding: ``difference`` (Kafka Streams SlidingWindows); session: ``gap``.
    ``grace`` applies to every kind. Lengths a kind does not use must stay 0.
    """

    kind: WindowKind
    size_ms: int = 0
    advance_ms: int = 0
    difference_ms: int = 0
    gap_ms: int = 0
    grace_ms: int = 0

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem:
            raise ValueError(f"invalid {self.kind} window: {problem}")

    def _problem(self) -> str | None:
        if self.kind not in KINDS:
            return f"unknown type {self.kind!r}, expected one of {', '.join(KINDS)}"
        lengths = {
            "size": self.size_ms,
            "advance": self.advance_ms,
            "difference": self.difference_ms,
            "gap": self.gap_ms,
            "grace": self.grace_ms,
        }
        for name, value in lengths.items():
            if isinstance(value, bool) or not isinstance(value, int):
                return f"{name} must be a whole number of milliseconds, got {value!r}"
            if value < 0:
                return f"{name} must not be negative, got {value}"
        needed = {
            "tumbling": {"size"},
            "hopping": {"size", "advance"},
            "sliding": {"difference"},
            "session": {"gap"},
        }[self.kind]
        for name in ("size", "advance", "gap"):
            if name in needed and lengths[name] <= 0:
                return f"{name} must be greater than 0"
        unused = [n for n in ("size", "advance", "difference", "gap") if n not in needed]
        for name in unused:
            if lengths[name]:
                return f"{name} does not apply to a {self.kind} window"
        if self.kind == "hopping" and self.advance_ms > self.size_ms:
            return f"advance ({self.advance_ms} ms) must not exceed size ({self.size_ms} ms)"
        return None

    @property
    def span_ms(self) -> int:
        """The longest time range one window covers (a session's is open-ended: its gap)."""
        if self.kind == "sliding":
            return self.difference_ms + 1  # inclusive bounds [s, s + difference]
        if self.kind == "session":
            return self.gap_ms
        return self.size_ms

    def close_at(self, end: int) -> int:
        """Watermark at which a window with exclusive ``end`` closes."""
        extra = self.gap_ms if self.kind == "session" else 0
        return end + extra + self.grace_ms

    def horizon_ms(self) -> int:
        """How far before a replay's start its warm-up must begin: largest span + grace.

        A sliding window also needs the record one millisecond before it (it defines the
        right window), hence +1. A session can grow without bound; gap + grace only covers
        sessions whose records are no more than one gap apart from the warm-up start.
        """
        extra = 1 if self.kind == "sliding" else 0
        return self.span_ms + extra + self.grace_ms
