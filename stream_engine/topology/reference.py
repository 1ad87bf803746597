"""An in-memory reference table kept current from a compacted topic.

The loader (a connector) applies messages; steps only read. Lookup keys are normalised
so that a user_id of 42 in an event finds the row whose key is "42".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stream_engine.errors import DecodeError
from stream_engine.serde import Decoder, decode_key


def lookup_key(value: object) -> str | None:
    """The normalised form of a join key: text, with integral floats written as ints."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


class ReferenceTable:
    """Rows by lookup key; a tombstone (null value) deletes the message key's row."""

    def __init__(self, name: str, key_field: str | None, decoder: Decoder) -> None:
        self.name = name
        self.key_field = key_field
        self._decoder = decoder
        self._rows: dict[str, dict[str, Any]] = {}
        self._by_message_key: dict[str, str] = {}
        self.undecodable = 0

    def __len__(self) -> int:
        return len(self._rows)

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        message_key = decode_key(key)
        if value is None:
            self._forget(message_key)
            return
        try:
            row = self._decoder.decode(value)
        except DecodeError:
            # After compaction only this value remains for the key: forget the old row,
            # so a running worker agrees with one that starts now.
            self.undecodable += 1
            self._forget(message_key)
            return
        table_key = lookup_key(row.get(self.key_field)) if self.key_field else message_key
        if table_key is None:
            self.undecodable += 1
            self._forget(message_key)
            return
        if message_key is not None:
            previous = self._by_message_key.get(message_key)
            if previous is not None and previous != table_key:
                self._rows.pop(previous, None)
            self._by_message_key[message_key] = table_key
        self._rows[table_key] = row

    def _forget(self, message_key: str | None) -> None:
        if message_key is not None:
            old = self._by_message_key.pop(message_key, message_key)
            self._rows.pop(old, None)

    def put(self, key: str, row: dict[str, Any]) -> None:
        """Set a row directly (file-backed tables and tests)."""
        self._rows[key] = row

    def lookup_many(self, keys: Sequence[object]) -> list[dict[str, Any] | None]:
        rows = self._rows
        return [rows.get(k) if (k := lookup_key(raw)) is not None else None for raw in keys]
