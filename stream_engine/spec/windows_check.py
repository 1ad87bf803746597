"""Rules between windows and sources: the window key must be the partition key.

Windows are computed per partition, so every record of a key must be in one partition:
the window's key must be the field the source's message key carries.
"""

from __future__ import annotations

from collections.abc import Mapping

from stream_engine.spec.errors import Issue
from stream_engine.spec.models import SourceSpec
from stream_engine.spec.windows import LateTopic, WindowSpec


def window_issues(
    sources: Mapping[str, SourceSpec],
    windows: Mapping[str, WindowSpec],
    written: list[str],
    read: list[str],
) -> list[Issue]:
    issues: list[Issue] = []
    for name, window in windows.items():
        if window.source is None and len(sources) > 1:
            issues.append(
                Issue(
                    ("windows", name),
                    f"several sources exist ({', '.join(sources)}); name the one this window "
                    "reads with source: <name>",
                )
            )
            continue
        source_name = window.source or next(iter(sources))
        source = sources.get(source_name)
        if source is None:
            issues.append(
                Issue(
                    ("windows", name, "source"),
                    f"unknown source {source_name!r} (known: {', '.join(sources)})",
                )
            )
            continue
        if source.key != window.key:
            current = f"its key is {source.key!r}" if source.key else "it declares no key"
            issues.append(
                Issue(
                    ("windows", name, "key"),
                    f"window key {window.key!r} is not the message key of source "
                    f"{source_name!r} ({current}); windows are computed per partition, so key "
                    f"the source by that field (sources.{source_name}.key: {window.key}) and "
                    "produce its records with that key",
                )
            )
        topics = [window.sink.topic]
        if isinstance(window.late, LateTopic):
            topics.append(window.late.topic)
        for topic in topics:
            if topic in read:
                issues.append(
                    Issue(
                        ("windows", name, "sink", "topic"),
                        f"topic {topic!r} is read by the pipeline; a window must not write to it",
                    )
                )
            elif written.count(topic) > 1:
                issues.append(
                    Issue(("windows", name, "sink", "topic"), f"topic {topic!r} is written twice")
                )
    return issues
