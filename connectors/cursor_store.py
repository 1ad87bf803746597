"""A durable extraction cursor: one small JSON file per source, replaced atomically.

The file is written to a temporary name, fsynced, then renamed over the old one, so a
crash leaves either the previous cursor or the new one, never half of one. A cursor is
saved only after the rows before it were acknowledged by the broker: a restart re-reads
at most the last page (at-least-once), never skips one.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from stream_engine.errors import ConfigError


@dataclass(frozen=True)
class Cursor:
    """The (watermark, primary key) of the last row delivered."""

    watermark: Any
    key: Any

    def to_json(self) -> dict[str, Any]:
        wm = self.watermark
        if isinstance(wm, dt.datetime):
            return {"watermark": wm.isoformat(), "watermark_type": "timestamp", "key": self.key}
        return {"watermark": wm, "watermark_type": "value", "key": self.key}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cursor:
        wm = data["watermark"]
        if data.get("watermark_type") == "timestamp":
            wm = dt.datetime.fromisoformat(wm)
        return cls(wm, data["key"])


class CursorKeeper(Protocol):
    """Where cursors are kept: files (CursorStore) or a compacted topic (the worker's)."""

    def load(self, name: str) -> Cursor | None: ...

    def save(self, name: str, cursor: Cursor) -> None: ...


class CursorStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        return self.directory / f"{safe}.json"

    def load(self, name: str) -> Cursor | None:
        path = self._path(name)
        try:
            data = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read the cursor {path}: {exc}") from None
        try:
            return Cursor.from_json(data)
        except (KeyError, TypeError, ValueError):
            raise ConfigError(
                f"cursor file {path} is not a cursor; delete it to extract from the start"
            ) from None

    def save(self, name: str, cursor: Cursor) -> None:
        path = self._path(name)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as handle:
                handle.write(orjson.dumps(cursor.to_json()))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise ConfigError(f"cannot write the cursor {path}: {exc.strerror or exc}") from None
