"""Serde errors: a decode failure carries its dead-letter reason; encoding has its own class."""

from __future__ import annotations

from typing import Literal

from stream_engine.errors import DecodeError, StreamEngineError

DecodeReason = Literal["decode", "schema"]
"""`decode`: the bytes are not a valid value; `schema`: no usable schema for them."""

_MAX_MESSAGE = 300


class RecordDecodeError(DecodeError):
    """A value that cannot become a record; `reason` is the `dlq.reason` code it dead-letters under.

    It subclasses `stream_engine.errors.DecodeError`, so `except DecodeError` still catches it.
    """

    reason: DecodeReason

    def __init__(self, message: str, *, reason: DecodeReason = "decode") -> None:
        super().__init__(message)
        self.reason = reason


class EncodeError(StreamEngineError):
    """A record that cannot be serialized with the sink's format or schema."""


def one_line(text: object, limit: int = _MAX_MESSAGE) -> str:
    """Collapse a library message to one bounded line: dead-letter headers and the CLI need that."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
