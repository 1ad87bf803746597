"""What the live worker adds for quality steps: state changelogs, restored on demand.

The quality topic itself is a written topic of the pipeline (`PipelineSpec.topics_to_create`).
"""

from __future__ import annotations

from connectors.kafka_changelog import read_partition
from stream_engine.settings import Settings
from stream_engine.spec import PipelineSpec
from stream_engine.spec.quality_topics import quality_changelog_topics
from stream_engine.topology import Topology


def quality_changelogs(spec: PipelineSpec, partitions: dict[str, int]) -> dict[str, int]:
    """Quality state changelog -> its partition count (that of the source it follows)."""
    return {topic: partitions[source] for topic, source in quality_changelog_topics(spec).items()}


def restore_quality_state(topology: Topology, settings: Settings) -> None:
    """Quality steps read their partition's state from its changelog when first needed."""
    for step in topology.quality_steps:
        step.read_changelog = lambda topic, partition: read_partition(settings, topic, partition)
