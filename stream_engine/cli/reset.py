"""`stream-engine reset`: forget a pipeline version's offsets and window state."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from stream_engine.cli.errors import fail, handle_errors
from stream_engine.settings import load_settings
from stream_engine.spec import load_pipeline
from stream_engine.spec.quality_topics import quality_changelog_topics
from stream_engine.spec.windows import changelog_topic


@handle_errors
def reset(
    pipeline: Path = typer.Argument(..., help="The pipeline file (YAML).", show_default=False),
    version: int | None = typer.Option(
        None, min=1, help="The version to reset (default: the file's version)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete the consumer group's offsets and the window and quality state of a version.

    The next worker of that version starts from the earliest offsets with empty windows.
    Workers of that version must be stopped first.
    """
    from connectors.kafka_admin import reset_group, wait_for_cluster

    spec = load_pipeline(pipeline)
    number = version or spec.version
    group = f"stream-engine.{spec.pipeline}.v{number}"
    topics = [changelog_topic(group, name) for name in spec.windows]
    topics += list(quality_changelog_topics(spec, group))
    what = f"consumer group {group}" + (f" and {', '.join(topics)}" if topics else "")
    if not yes:
        if not sys.stdin.isatty():
            raise fail(f"refusing to reset {what} without --yes (no terminal to confirm)", 2)
        if not typer.confirm(f"Reset {what}?", default=False):
            raise fail("not reset", 1)
    admin = wait_for_cluster(load_settings())
    deleted_group, deleted_topics = reset_group(admin, group, topics)
    typer.echo(f"consumer group {group}: {'deleted' if deleted_group else 'had no offsets'}")
    for topic in topics:
        typer.echo(f"{topic}: {'deleted' if topic in deleted_topics else 'did not exist'}")
