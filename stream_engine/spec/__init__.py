"""The pipeline file: models, loading, and one-line error messages."""

from stream_engine.spec.durations import Duration, format_duration, parse_duration
from stream_engine.spec.errors import PipelineFileError
from stream_engine.spec.loader import load_pipeline, parse_pipeline
from stream_engine.spec.models import (
    DeadLetterSpec,
    MetricsSpec,
    ReferenceSpec,
    SinkSpec,
    SourceSpec,
    TopicDefaults,
    WorkerSpec,
)
from stream_engine.spec.pipeline import PipelineSpec, TopicSettings
from stream_engine.spec.steps import EnrichStep, FilterStep, MapStep, QualityStep, Step

__all__ = [
    "DeadLetterSpec",
    "Duration",
    "EnrichStep",
    "FilterStep",
    "MapStep",
    "MetricsSpec",
    "PipelineFileError",
    "PipelineSpec",
    "QualityStep",
    "ReferenceSpec",
    "SinkSpec",
    "SourceSpec",
    "Step",
    "TopicDefaults",
    "TopicSettings",
    "WorkerSpec",
    "format_duration",
    "load_pipeline",
    "parse_duration",
    "parse_pipeline",
]
