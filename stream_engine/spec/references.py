"""Rules across sections: enrich tables exist, and no topic is read and written at once.

A sink writing to a topic the pipeline reads would feed its own output back in; a
dead-letter topic shared with a sink mixes failures into results. Both are refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stream_engine.spec.errors import Issue, Loc
from stream_engine.spec.models import ReferenceSpec, SinkSpec, SourceSpec
from stream_engine.spec.steps import EnrichStep, Step


def reference_issues(
    *,
    sources: Mapping[str, SourceSpec],
    reference: Mapping[str, ReferenceSpec],
    steps: Sequence[Step],
    sinks: Mapping[str, SinkSpec],
    dead_letter_topic: str,
    dead_letter_loc: Loc,
) -> list[Issue]:
    """Every cross-section problem, each located at the key that has to change."""
    issues = _name_issues(sources, reference) + _table_issues(steps, reference)
    issues += _topic_issues(sources, reference, sinks, dead_letter_topic, dead_letter_loc)
    return issues


def _name_issues(
    sources: Mapping[str, SourceSpec], reference: Mapping[str, ReferenceSpec]
) -> list[Issue]:
    # Quality rules and enrich steps address both kinds as "tables", so names must differ.
    return [
        Issue(
            ("reference", name),
            f"name {name!r} is already used by sources.{name} "
            "(sources and reference tables share one namespace)",
        )
        for name in reference
        if name in sources
    ]


def _table_issues(steps: Sequence[Step], reference: Mapping[str, ReferenceSpec]) -> list[Issue]:
    known = ", ".join(reference) if reference else "none; define them under reference"
    return [
        Issue(
            ("steps", step.index, "enrich", "table"),
            f"unknown reference table {step.table!r} (known: {known})",
        )
        for step in steps
        if isinstance(step, EnrichStep) and step.table not in reference
    ]


@dataclass(frozen=True)
class _TopicUse:
    topic: str
    owner: str  # "sources.page_views"
    loc: Loc  # the key to report on
    writes: bool


def _topic_issues(
    sources: Mapping[str, SourceSpec],
    reference: Mapping[str, ReferenceSpec],
    sinks: Mapping[str, SinkSpec],
    dead_letter_topic: str,
    dead_letter_loc: Loc,
) -> list[Issue]:
    uses = [
        _TopicUse(s.topic, f"sources.{n}", ("sources", n, "topic"), False)
        for n, s in sources.items()
    ]
    uses += [
        _TopicUse(t.topic, f"reference.{n}", ("reference", n, "topic"), False)
        for n, t in reference.items()
    ]
    uses += [
        _TopicUse(s.topic, f"sinks.{n}", ("sinks", n, "topic"), True) for n, s in sinks.items()
    ]
    uses.append(_TopicUse(dead_letter_topic, "dead_letter", dead_letter_loc, True))
    issues = []
    for i, use in enumerate(uses):
        earlier = [u for u in uses[:i] if u.topic == use.topic]
        problem = _shared_topic_problem(use, earlier[0]) if earlier else None
        if problem is None and use.writes:
            problem = _collision_problem(use, uses)
        if problem is not None:
            issues.append(Issue(use.loc, problem))
    return issues


def _shared_topic_problem(use: _TopicUse, first: _TopicUse) -> str | None:
    topic = repr(use.topic)
    if use.owner == "dead_letter":
        return (
            f"topic {topic} is also used by {first.owner}; "
            "the dead-letter topic must be a topic of its own"
        )
    if use.writes and not first.writes:
        return (
            f"topic {topic} is read by {first.owner}; "
            "a sink must not write to a topic the pipeline reads"
        )
    if use.writes:
        return f"topic {topic} is already written by {first.owner}"
    if use.owner.startswith("sources.") and first.owner.startswith("sources."):
        return f"topic {topic} is already read by {first.owner}"
    return None  # a reference table may read a source's topic (users stream = users table)


def _collision_problem(use: _TopicUse, uses: list[_TopicUse]) -> str | None:
    """Kafka refuses to create a topic whose name differs from another only in '.' vs '_'."""
    folded = use.topic.replace(".", "_")
    for other in uses:
        if other.topic != use.topic and other.topic.replace(".", "_") == folded:
            return (
                f"topic {use.topic!r} collides with {other.topic!r} ({other.owner}): "
                "Kafka does not allow topic names that differ only in '.' and '_'"
            )
    return None
