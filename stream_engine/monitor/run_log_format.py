"""The run log's lines (JSONL): one `start` line, then one `interval` line per interval.

One schema for the writer (the worker) and the reader (the analyzer). Documented in
docs/analyzer.md; `version` changes when a field changes meaning.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RUN_LOG_VERSION = 1


class _Line(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SourceInfo(_Line):
    topic: str
    partitions: int = Field(ge=0)


class StartLine(_Line):
    type: Literal["start"]
    version: int = RUN_LOG_VERSION
    time: float  # epoch seconds
    pipeline: str
    group: str
    runtime: str
    batch_size: int = Field(ge=1)
    batch_wait_ms: float = Field(ge=0)
    interval_s: float = Field(gt=0)
    sources: dict[str, SourceInfo]


class SourceInterval(_Line):
    records_in: int = Field(0, ge=0)
    records_out: int = Field(0, ge=0)  # sink records (a record sent to two sinks counts twice)
    passed: int = Field(0, ge=0)
    filtered: int = Field(0, ge=0)
    dropped: int = Field(0, ge=0)
    dead: int = Field(0, ge=0)
    batches: int = Field(0, ge=0)
    broker_wait_s: float = Field(0.0, ge=0)
    processing_s: float = Field(0.0, ge=0)


class PartitionRecords(_Line):
    source: str
    partition: int
    records_in: int = Field(ge=0)


class PartitionLagLine(_Line):
    topic: str
    partition: int
    committed: int
    high_watermark: int
    lag_messages: int
    lag_seconds: float | None  # null: cannot be estimated
    status: str


class LagLine(_Line):
    time: float  # when the offsets were read
    status: str
    partitions: list[PartitionLagLine]


class Memory(_Line):
    rss_bytes: float = Field(ge=0)
    peak_rss_bytes: float = Field(ge=0)


class IntervalLine(_Line):
    type: Literal["interval"]
    time: float  # end of the interval, epoch seconds
    interval_s: float = Field(gt=0)
    sources: dict[str, SourceInterval]
    steps: dict[str, float]  # seconds spent in each step during the interval
    partitions: list[PartitionRecords] = []
    memory: Memory
    lag: LagLine | None = None  # null until the first lag sample


class StopLine(_Line):
    type: Literal["stop"]
    time: float
