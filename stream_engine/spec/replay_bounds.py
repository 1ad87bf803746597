"""The two ends of a replay range, as written on the command line or in a `replays` job.

`earliest`, `latest`/`now`, an ISO-8601 time, a duration ago (`24h`), or offsets per
partition (`0:1200,1:880`). Parsing is pure (the caller passes "now"), so the pipeline
file, the CLI and the scheduler accept exactly the same text and resolve it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from stream_engine.errors import ConfigError
from stream_engine.spec.durations import parse_duration

BoundKind = Literal["earliest", "latest", "time", "offsets"]
_HINT = (
    "expected earliest, latest, now, an ISO-8601 time (2026-11-25T03:00:00Z), "
    "a duration ago (24h) or offsets per partition (0:1200,1:880)"
)


@dataclass(frozen=True)
class Bound:
    """One end of a range. `time_ms` is set for kind time; `offsets` for kind offsets."""

    kind: BoundKind
    time_ms: int | None = None
    offsets: tuple[tuple[int, int], ...] = ()

    @property
    def offset_map(self) -> dict[int, int]:
        return dict(self.offsets)

    def describe(self) -> str:
        if self.kind == "time" and self.time_ms is not None:
            return iso(self.time_ms)
        if self.kind == "offsets":
            return ",".join(f"{p}:{o}" for p, o in self.offsets)
        return self.kind


def iso(ms: int) -> str:
    """UTC ISO-8601 with milliseconds, as the summary and errors print times."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_bound(text: str, now_ms: int, option: str = "--from") -> Bound:
    """Parse one end of a range; `now_ms` anchors `now` and durations ago."""
    raw = text.strip()
    word = raw.lower()
    if word == "earliest":
        if option == "--to":
            raise ConfigError(f"{option} {text!r}: earliest is only a start; use latest or a time")
        return Bound("earliest")
    if word == "latest":
        if option == "--from":
            raise ConfigError(f"{option} {text!r}: latest is only an end; use earliest or a time")
        return Bound("latest")
    if word == "now":
        return Bound("time", time_ms=now_ms)
    if ":" in raw and "-" not in raw and "T" not in raw.upper():
        return Bound("offsets", offsets=_offsets(raw, option))
    if raw[:1].isdigit() and raw[-1:].isalpha() and "-" not in raw:
        try:
            return Bound("time", time_ms=now_ms - parse_duration(raw))
        except ValueError as exc:
            raise ConfigError(f"{option} {text!r}: {exc}") from None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{option} {text!r}: {_HINT}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # a time without a zone is UTC, never local
    return Bound("time", time_ms=int(moment.timestamp() * 1000))


def _offsets(raw: str, option: str) -> tuple[tuple[int, int], ...]:
    seen: dict[int, int] = {}
    for part in raw.split(","):
        partition, _, offset = part.strip().partition(":")
        if not (partition.isdigit() and offset.isdigit()):
            raise ConfigError(
                f"{option} {raw!r}: {part.strip()!r} is not partition:offset "
                "(two whole numbers, e.g. 0:1200)"
            )
        if int(partition) in seen:
            raise ConfigError(f"{option} {raw!r}: partition {partition} is given twice")
        seen[int(partition)] = int(offset)
    return tuple(sorted(seen.items()))


def check_order(start: Bound, end: Bound) -> None:
    """Refuse a range whose start lies after its end, where that is known without a broker."""
    if start.kind == "time" and end.kind == "time":
        assert start.time_ms is not None and end.time_ms is not None
        if start.time_ms > end.time_ms:
            raise ConfigError(
                f"--from {start.describe()} is after --to {end.describe()}: the range is empty"
            )
    if start.kind == "offsets" and end.kind == "offsets":
        ends = end.offset_map
        for partition, offset in start.offsets:
            if partition in ends and offset > ends[partition]:
                raise ConfigError(
                    f"--from offset {offset} is after --to offset {ends[partition]} "
                    f"in partition {partition}"
                )
