"""Names of the topics the quality steps of a pipeline write (created by the worker)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stream_engine.spec.pipeline import PipelineSpec


def quality_topic(pipeline: str) -> str:
    """Where per-window quality verdicts go: ``<pipeline>.quality`` (docs/quality.md)."""
    return f"{pipeline}.quality"


def quality_changelog_topic(group_id: str, step_index: int, source: str) -> str:
    """The compacted state topic of one quality step for one source, partitioned like it.

    Window changelogs are ``<group>.<window>.changelog`` with a lowercase identifier as
    the window name; the ``-`` here keeps the two from ever colliding.
    """
    return f"{group_id}.quality-s{step_index}-{source}.changelog"


def quality_changelog_topics(spec: PipelineSpec, group_id: str | None = None) -> dict[str, str]:
    """Every quality changelog topic of the pipeline -> the source topic it follows."""
    from stream_engine.spec.steps import QualityStep

    group = group_id or spec.group_id
    return {
        quality_changelog_topic(group, step.index, name): source.topic
        for step in spec.steps
        if isinstance(step, QualityStep)
        for name, source in spec.sources.items()
    }
