"""PipelineSpec: the whole pipeline file, plus the names and topics derived from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import Field, ValidationInfo, field_validator, model_validator

from stream_engine.spec.base import SpecModel
from stream_engine.spec.db_sources import AnySource
from stream_engine.spec.durations import Duration
from stream_engine.spec.errors import Loc, issues_error, spec_error
from stream_engine.spec.fieldtypes import Integer, Name, PipelineName
from stream_engine.spec.models import (
    DeadLetterSpec,
    MetricsSpec,
    ReferenceSpec,
    SinkSpec,
    TopicDefaults,
    WorkerSpec,
)
from stream_engine.spec.quality_topics import quality_topic
from stream_engine.spec.references import reference_issues
from stream_engine.spec.replays import ReplayJobSpec
from stream_engine.spec.steps import EnrichStep, FilterStep, MapStep, QualityStep, Step
from stream_engine.spec.table_sinks import AnySink, TableSinkSpec, table_sink_issues
from stream_engine.spec.windows import LateTopic, WindowSpec, changelog_topic
from stream_engine.spec.windows_check import window_issues


@dataclass(frozen=True)
class TopicSettings:
    """How to create a topic the pipeline writes, when it does not exist yet."""

    name: str
    partitions: int
    replication: int
    config: Mapping[str, str] = field(default_factory=dict)  # Kafka topic configs


class PipelineSpec(SpecModel):
    """A validated pipeline file; the topology and the runtimes are built from it."""

    not_yet_supported: ClassVar[Mapping[str, str]] = {
        "quality": "quality rules are not supported in this version yet",
    }

    pipeline: PipelineName
    version: Integer = Field(ge=1)
    description: str | None = None
    defaults: TopicDefaults = Field(default_factory=TopicDefaults)
    worker: WorkerSpec = Field(default_factory=WorkerSpec)
    sources: dict[Name, AnySource]  # topics, or postgres tables extracted into topics
    reference: dict[Name, ReferenceSpec] = Field(default_factory=dict)
    steps: list[Step] = Field(default_factory=list)
    sinks: dict[Name, AnySink]  # topic sinks, or duckdb / postgres / parquet (table_sinks.py)
    windows: dict[Name, WindowSpec] = Field(default_factory=dict)
    dead_letter: DeadLetterSpec = Field(default_factory=DeadLetterSpec)
    metrics: MetricsSpec = Field(default_factory=MetricsSpec)
    replays: dict[Name, ReplayJobSpec] = Field(default_factory=dict)  # scheduled backfills

    @field_validator("reference", "steps", "windows", "replays", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any, info: ValidationInfo) -> Any:
        # A key whose entries are all commented out parses as null.
        if value is None:
            return [] if info.field_name == "steps" else {}
        return value

    @field_validator("sources", "sinks")
    @classmethod
    def _at_least_one(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if not value:
            kind = "source" if info.field_name == "sources" else "sink"
            raise spec_error(f"expected at least one {kind}")
        return value

    @field_validator("steps")
    @classmethod
    def _number_steps(
        cls, value: list[EnrichStep | FilterStep | MapStep]
    ) -> list[EnrichStep | FilterStep | MapStep]:
        return [
            step if step.index == i else step.model_copy(update={"index": i})
            for i, step in enumerate(value)
        ]

    @model_validator(mode="after")
    def _cross_references(self) -> PipelineSpec:
        dead_letter_loc: Loc = (
            ("dead_letter", "topic") if self.dead_letter.topic else ("dead_letter",)
        )
        issues = reference_issues(
            sources=self.sources,
            reference=self.reference,
            steps=self.steps,
            sinks=self.topic_sinks,
            dead_letter_topic=self.dead_letter_topic,
            dead_letter_loc=dead_letter_loc,
        )
        issues += window_issues(
            self.sources, self.windows, self.topics_written(), self.topics_read()
        )
        issues += table_sink_issues(self.sources, self.table_sinks)
        if issues:
            raise issues_error(issues)
        return self

    @property
    def topic_sinks(self) -> dict[str, SinkSpec]:
        return {n: s for n, s in self.sinks.items() if isinstance(s, SinkSpec)}

    @property
    def table_sinks(self) -> dict[str, TableSinkSpec]:
        """Sinks writing a database table or files (not topics)."""
        return {n: s for n, s in self.sinks.items() if not isinstance(s, SinkSpec)}

    @property
    def group_id(self) -> str:
        """The consumer group; the version in it makes an incompatible change start fresh."""
        return f"stream-engine.{self.pipeline}.v{self.version}"

    @property
    def dead_letter_topic(self) -> str:
        """The dead-letter topic: as configured, else ``<pipeline>.dlq``."""
        return self.dead_letter.topic or f"{self.pipeline}.dlq"

    def topics_read(self) -> list[str]:
        """Source topics, then reference topics, each once; they must exist before a run."""
        topics = [s.topic for s in self.sources.values()]
        topics += [t.topic for t in self.reference.values()]
        return list(dict.fromkeys(topics))

    def topics_written(self) -> list[str]:
        """Sink topics, window result and late topics, the quality topic, then the
        dead-letter topic."""
        topics = [s.topic for s in self.topic_sinks.values()]
        for window in self.windows.values():
            topics.append(window.sink.topic)
            if isinstance(window.late, LateTopic):
                topics.append(window.late.topic)
        if self.has_quality_steps:
            topics.append(quality_topic(self.pipeline))
        return [*topics, self.dead_letter_topic]

    @property
    def has_quality_steps(self) -> bool:
        return any(isinstance(step, QualityStep) for step in self.steps)

    def window_source(self, name: str) -> str:
        """The source feeding a window (the only one, unless the window names it)."""
        return self.windows[name].source or next(iter(self.sources))

    def changelog_topic(self, window: str) -> str:
        return changelog_topic(self.group_id, window)

    def topics_to_create(self) -> list[TopicSettings]:
        """Creation settings of every written topic, with the defaults applied."""
        d = self.defaults
        topics = [
            _settings(
                sink.topic,
                sink.partitions or d.partitions,
                sink.replication or d.replication,
                sink.retention or d.retention,
            )
            for sink in self.topic_sinks.values()
        ]
        for window in self.windows.values():
            sink = window.sink
            results = _settings(
                sink.topic, sink.partitions or d.partitions, sink.replication or d.replication, None
            )
            # Results are keyed by key + window start: compaction keeps the last value.
            topics.append(
                TopicSettings(
                    results.name,
                    results.partitions,
                    results.replication,
                    {"cleanup.policy": "compact"},
                )
            )
            if isinstance(window.late, LateTopic):
                topics.append(
                    _settings(window.late.topic, d.partitions, d.replication, d.retention)
                )
        if self.has_quality_steps:
            # Verdicts are keyed by window, and timed by event time: compacted, no retention.
            topics.append(
                TopicSettings(
                    quality_topic(self.pipeline),
                    d.partitions,
                    d.replication,
                    {"cleanup.policy": "compact"},
                )
            )
        dlq = self.dead_letter
        dead = _settings(
            self.dead_letter_topic,
            dlq.partitions or d.partitions,
            dlq.replication or d.replication,
            dlq.retention or d.retention,
        )
        # Room above the record limit for the batch header, so a maximal dead letter fits.
        config = {**dead.config, "max.message.bytes": str(dlq.max_message_bytes + 1024)}
        topics.append(TopicSettings(dead.name, dead.partitions, dead.replication, config))
        return topics


def _settings(
    name: str, partitions: int, replication: int, retention: Duration | None
) -> TopicSettings:
    config = {"cleanup.policy": "delete"}
    if retention is not None:
        config["retention.ms"] = str(retention.ms)
    return TopicSettings(name, partitions, replication, config)
