"""The optional `replays` section: backfill jobs that `stream-engine scheduler` runs.

```yaml
replays:
  nightly:
    schedule: "0 3 * * *"     # cron, UTC
    from: 24h                 # relative to the scheduled time
    to: now
    output: kafka             # kafka | files:DIR | duckdb:PATH
    timeout: 30m
    retries: 3                # then backoff 30s, 60s, 120s ...
```

The range ends take the same text as `stream-engine replay --from/--to`; durations ago
and `now` are resolved against the scheduled time, so a retried run covers the same range.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from stream_engine.errors import ConfigError
from stream_engine.spec.base import SpecModel
from stream_engine.spec.durations import Duration
from stream_engine.spec.errors import spec_error
from stream_engine.spec.fieldtypes import DurationValue, Integer, PositiveDuration
from stream_engine.spec.replay_bounds import check_order, parse_bound

_OUTPUTS = ("kafka", "files:DIR", "duckdb:PATH")
_ANCHOR_MS = 10**13  # any fixed "now": only the syntax and the order are checked here


class ReplayJobSpec(SpecModel):
    """One scheduled replay: when, which range, where to, and how hard to try."""

    schedule: str
    range_from: str = Field(alias="from")
    range_to: str = Field("now", alias="to")
    output: str = "kafka"
    to_live: bool = False
    flush: bool = True
    timeout: PositiveDuration = Duration(30 * 60_000)
    retries: Integer = Field(3, ge=0, le=20)
    backoff: DurationValue = Duration(30_000)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        from croniter import croniter

        if not croniter.is_valid(value):
            problem = (
                "a field is out of range or malformed"
                if len(value.split()) == 5
                else "expected five fields"
            )
            raise spec_error(
                f"invalid cron schedule {value!r}: {problem}, "
                "minute hour day month weekday (e.g. '0 3 * * *')"
            )
        return value

    @field_validator("range_from", "range_to", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        # `from: 0` or a YAML date would otherwise become a number or a date object.
        return str(value) if value is not None and not isinstance(value, str) else value

    @field_validator("output")
    @classmethod
    def _output(cls, value: str) -> str:
        kind, _, where = value.partition(":")
        if kind not in ("kafka", "files", "duckdb") or (kind != "kafka") != bool(where):
            raise spec_error(f"invalid output {value!r}: expected {', '.join(_OUTPUTS)}")
        return value

    @model_validator(mode="after")
    def _range(self) -> ReplayJobSpec:
        try:
            start = parse_bound(self.range_from, _ANCHOR_MS, "--from")
            end = parse_bound(self.range_to, _ANCHOR_MS, "--to")
            check_order(start, end)
        except ConfigError as exc:
            raise spec_error(str(exc).replace("--from", "from").replace("--to", "to")) from None
        if self.to_live and self.output != "kafka":
            raise spec_error("to_live writes to the live Kafka topics; it needs output: kafka")
        return self
