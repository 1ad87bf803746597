"""Message keys: text on the wire, carried as bytes so partitioning never depends on decoding."""

from __future__ import annotations

from numbers import Integral, Real

from stream_engine.serde.errors import EncodeError


def decode_key(data: bytes | None) -> str | None:
    """Key bytes as text; invalid UTF-8 becomes U+FFFD so a bad key never stops a record."""
    return None if data is None else data.decode("utf-8", errors="replace")


def encode_key(value: object) -> bytes | None:
    """The bytes a key value is produced with: text as UTF-8, numbers as their decimal text
    (an integral float as an integer, like reference-table lookups).

    The same value always gives the same bytes, so it always lands in the same partition.
    """
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            raise EncodeError(
                f"cannot use key {value!r}: it holds unpaired surrogates, not valid Unicode"
            ) from None
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, Integral):  # int and numpy's integers
        return str(int(value)).encode("ascii")
    if isinstance(value, Real):
        number = float(value)
        # 2.0 and 2 are one key (JSON does not keep the difference reliably), as in lookups.
        text = str(int(number)) if number.is_integer() else repr(number)
        return text.encode("ascii")
    raise EncodeError(
        f"cannot use a {type(value).__name__} as a message key: expected str, int, float or bytes"
    )
