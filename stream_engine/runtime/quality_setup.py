"""What the live worker adds for quality steps: their topics, and state from changelogs."""

from __future__ import annotations

from connectors.kafka_admin import TopicRequest
from connectors.kafka_changelog import read_partition
from stream_engine.settings import Settings
from stream_engine.spec import PipelineSpec, QualityStep
from stream_engine.spec.quality_topics import quality_changelog_topics, quality_topic
from stream_engine.topology import Topology


def quality_topic_requests(spec: PipelineSpec) -> list[TopicRequest]:
    """The quality topic: verdicts keyed by source, partition, window and rule.

    Compacted like window results, never deleted by retention: a verdict's timestamp is
    its window's event time, which for a backfill is far in the past.
    """
    if not any(isinstance(step, QualityStep) for step in spec.steps):
        return []
    d = spec.defaults
    config = {"cleanup.policy": "compact"}
    return [TopicRequest(quality_topic(spec.pipeline), d.partitions, d.replication, config)]


def quality_changelogs(spec: PipelineSpec, partitions: dict[str, int]) -> dict[str, int]:
    """Quality state changelog -> its partition count (that of the source it follows)."""
    return {topic: partitions[source] for topic, source in quality_changelog_topics(spec).items()}


def restore_quality_state(topology: Topology, settings: Settings) -> None:
    """Quality steps read their partition's state from its changelog when first needed."""
    for step in topology.quality_steps:
        step.read_changelog = lambda topic, partition: read_partition(settings, topic, partition)
