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
    """Rows by lookup key, equal to what a fresh read of the compacted topic would build.

    Keyed by the message key, a tombstone deletes that key's row. Keyed by a value field,
    several message keys may carry the same lookup key: the row is the latest value among
    the message keys that still hold it, so a tombstone of one never deletes another's.
    """

    def __init__(self, name: str, key_field: str | None, decoder: Decoder) -> None:
        self.name = name
        self.key_field = key_field
        self._decoder = decoder
        self._rows: dict[str, dict[str, Any]] = {}
        # key_field tables only: message key -> (lookup key, row), and per lookup key the
        # message keys holding it, latest writer last.
        self._entries: dict[str, tuple[str, dict[str, Any]]] = {}
        self._holders: dict[str, dict[str, None]] = {}
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
        if self.key_field is None:
            if message_key is None:
                self.undecodable += 1
                return
            self._rows[message_key] = row
            return
        table_key = lookup_key(row.get(self.key_field))
        if table_key is None:
            self.undecodable += 1
            self._forget(message_key)
            return
        if message_key is None:  # cannot be deleted later; kept as the latest value
            self._rows[table_key] = row
            return
        old = self._entries.get(message_key)
        if old is not None and old[0] != table_key:
            self._release(message_key, old[0])
        self._entries[message_key] = (table_key, row)
        holders = self._holders.setdefault(table_key, {})
        holders.pop(message_key, None)
        holders[message_key] = None
        self._rows[table_key] = row

    def _forget(self, message_key: str | None) -> None:
        if message_key is None:
            return
        if self.key_field is None:
            self._rows.pop(message_key, None)
            return
        entry = self._entries.pop(message_key, None)
        if entry is not None:
            self._release(message_key, entry[0])

    def _release(self, message_key: str, table_key: str) -> None:
        holders = self._holders.get(table_key)
        if holders is None:
            return
        holders.pop(message_key, None)
        if holders:
            self._rows[table_key] = self._entries[next(reversed(holders))][1]
        else:
            del self._holders[table_key]
            self._rows.pop(table_key, None)

    def put(self, key: str, row: dict[str, Any]) -> None:
        """Set a row directly (file-backed tables and tests)."""
        self._rows[key] = row

    def lookup_many(self, keys: Sequence[object]) -> list[dict[str, Any] | None]:
        rows = self._rows
        return [rows.get(k) if (k := lookup_key(raw)) is not None else None for raw in keys]
