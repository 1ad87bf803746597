"""The decoder and encoder contracts, and the batch loop that turns failures into data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from stream_engine.errors import DecodeError
from stream_engine.serde.errors import RecordDecodeError


class Decoder(Protocol):
    """Turns one record value into a dict, or raises DecodeError."""

    def decode(self, data: bytes | None) -> dict[str, Any]: ...


class Encoder(Protocol):
    """Turns one record into value bytes, or raises EncodeError."""

    def encode(self, value: Mapping[str, Any]) -> bytes: ...


def decode_batch(
    decoder: Decoder, values: Sequence[bytes | None]
) -> tuple[list[dict[str, Any] | None], dict[int, RecordDecodeError]]:
    """Decode a micro-batch: failures come back by position instead of stopping the batch.

    Position i of the first list is None exactly when i is a key of the error dict.
    """
    decode = decoder.decode
    records: list[dict[str, Any] | None] = []
    append = records.append
    errors: dict[int, RecordDecodeError] = {}
    for position, data in enumerate(values):
        try:
            append(decode(data))
        except DecodeError as exc:
            if not isinstance(exc, RecordDecodeError):
                exc = RecordDecodeError(str(exc))
            # Keep the error, not its frames: the traceback would hold the whole batch
            # alive in a reference cycle until the cyclic collector runs.
            exc.__context__ = exc.__cause__ = None
            errors[position] = exc.with_traceback(None)
            append(None)
    return records, errors
