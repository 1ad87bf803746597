"""`stream-engine dlq inspect|redrive`: look at what failed and send it back."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from stream_engine.cli.errors import EXIT_USAGE, fail, handle_errors
from stream_engine.dlq.tools import (
    DeadLetterView,
    Inspection,
    RedrivePlan,
    Selection,
    check_topics,
    format_time,
    inspect_views,
    plan_redrive,
    preview,
    read_dead_letters,
    redrive,
    shorten,
    view_to_json,
)
from stream_engine.settings import load_settings
from stream_engine.spec import load_pipeline

dlq_app = typer.Typer(
    help="Inspect and redrive dead letters (records that failed, with headers saying why).",
    no_args_is_help=True,
)

PipelineArg = typer.Argument(
    ..., help="The pipeline file (YAML); its dead-letter topic is read.", show_default=False
)
TopicOption = typer.Option(
    None, "--topic", metavar="TOPIC", help="Read this dead-letter topic instead of the pipeline's."
)
ReasonOption = typer.Option(
    None,
    "--reason",
    metavar="REASON",
    help="Only this reason code (repeat for several), e.g. decode, rule.",
)
StageOption = typer.Option(
    None,
    "--stage",
    metavar="STAGE",
    help="Only this stage (repeat for several), e.g. decode, enrich, sink.",
)
SinceOption = typer.Option(
    None,
    "--since",
    metavar="TIME",
    help="Only dead letters from then on: ISO-8601 (UTC unless an offset is given) "
    "or a duration ago such as 30m, 24h, 7d.",
)


def _dead_letter_topic(pipeline: Path, topic: str | None) -> str:
    spec = load_pipeline(pipeline)
    return topic or spec.dead_letter_topic


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dlq_app.command("inspect")
@handle_errors
def inspect_command(
    pipeline: Path = PipelineArg,
    topic: str | None = TopicOption,
    limit: int = typer.Option(
        50, "--limit", min=0, metavar="N", help="Show the N most recent matches (0: all of them)."
    ),
    reason: list[str] | None = ReasonOption,
    stage: list[str] | None = StageOption,
    since: str | None = SinceOption,
    as_json: bool = typer.Option(
        False, "--json", help="One JSON object per line, with every header and the raw bytes."
    ),
) -> None:
    """List dead letters as a table (or JSON lines) with counts by reason."""
    selection = Selection.parse(reason or (), stage or (), since)
    dlq_topic = _dead_letter_topic(pipeline, topic)
    settings = load_settings()
    result = inspect_views(read_dead_letters(settings, dlq_topic), selection, limit or None)
    if result.matched == 0:
        what = (
            "no dead letters"
            if result.total == 0
            else f"no dead letters match ({_plural(result.total, 'dead letter')} in {dlq_topic})"
        )
        typer.echo(what, err=as_json)
        return
    if as_json:
        for view in result.shown:
            sys.stdout.write(json.dumps(view_to_json(view), ensure_ascii=False) + "\n")
        return
    _print_table(dlq_topic, result)


WIDE_TABLE_COLUMNS = 160  # narrower terminals get the stacked layout


def _print_table(dlq_topic: str, result: Inspection) -> None:
    console = Console(highlight=False)
    table = Table(title=f"dead letters in {dlq_topic}", title_justify="left")
    if console.width >= WIDE_TABLE_COLUMNS:
        table.add_column("dead-lettered at", no_wrap=True)
        for name in ("reason", "stage", "rule", "source", "key", "message", "value", "truncated"):
            table.add_column(name, overflow="fold")
        for view in result.shown:
            table.add_row(*(Text(cell) for cell in _row(view)))
    else:
        table.add_column("dead-lettered at / reason / stage", no_wrap=True)
        table.add_column("source / key", overflow="fold", min_width=12)
        table.add_column("message / value", overflow="fold", min_width=16)
        for view in result.shown:
            table.add_row(*(Text(cell) for cell in _stacked_row(view)))
    console.print(table)
    shown = len(result.shown)
    head = f"{_plural(result.matched, 'dead letter')}"
    if result.matched != result.total:
        head += f" of {result.total} match"
    if shown < result.matched:
        head += f"; showing the {shown} most recent (--limit 0 shows all)"
    counts = ", ".join(f"{name} {count}" for name, count in result.by_reason.items())
    console.print(Text(f"{head}\nby reason: {counts}"))
    if result.truncated:
        console.print(Text(f"truncated: {result.truncated} (never redriven)"))


def _truncated(view: DeadLetterView) -> str:
    if not view.truncated:
        return ""
    size = "" if view.original_size is None else f" (was {view.original_size} bytes)"
    return f"yes{size}"


def _row(view: DeadLetterView) -> list[str]:
    return [
        format_time(view.dead_lettered_ms),
        view.reason or "?",
        view.stage or "?",
        shorten(view.rule, 24),
        view.source,
        preview(view.key, 24),
        shorten(view.message, 60),
        preview(view.value, 40),
        _truncated(view),
    ]


def _stacked_row(view: DeadLetterView) -> list[str]:
    first = [format_time(view.dead_lettered_ms), view.reason or "?", f"stage {view.stage or '?'}"]
    if view.rule:
        first.append(f"rule {shorten(view.rule, 19)}")
    if view.truncated:
        first.append(f"truncated: {_truncated(view)}")
    second = [view.source, f"key {preview(view.key, 24)}"]
    third = [shorten(view.message, 60), f"value {preview(view.value, 40)}"]
    return ["\n".join(first), "\n".join(second), "\n".join(third)]


@dlq_app.command("redrive")
@handle_errors
def redrive_command(
    pipeline: Path = PipelineArg,
    topic: str | None = TopicOption,
    reason: list[str] | None = ReasonOption,
    stage: list[str] | None = StageOption,
    since: str | None = SinceOption,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print what would be sent; send nothing."
    ),
    keep_timestamp: bool = typer.Option(
        False,
        "--keep-timestamp",
        help="Give records their original timestamp, not the time of the redrive "
        "(records the source topic's retention would delete at once are skipped).",
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Send selected dead letters back to their source topics, byte for byte.

    Key, value and the original headers are restored; dlq.* headers are removed.

    Each record gets a dlq.redriven.from header: <dlq topic>:<partition>:<offset>.

    Truncated dead letters and those whose source topic is gone are skipped and counted.
    """
    selection = Selection.parse(reason or (), stage or (), since)
    dlq_topic = _dead_letter_topic(pipeline, topic)
    settings = load_settings()
    total = 0
    chosen: list[DeadLetterView] = []
    for view in read_dead_letters(settings, dlq_topic):
        total += 1
        if selection.matches(view):
            chosen.append(view)
    if not chosen:
        typer.echo("no dead letters" if total == 0 else "no dead letters match")
        return
    plan = check_topics(settings, plan_redrive(chosen, keep_timestamp))
    if dry_run:
        for rec in plan.records:
            stamp = (
                "" if rec.timestamp_ms is None else f" timestamp={format_time(rec.timestamp_ms)}"
            )
            typer.echo(
                f"{rec.origin} -> {rec.topic}  key={preview(rec.key, 24)} "
                f"value={preview(rec.value, 40)} headers={len(rec.headers)}{stamp}"
            )
        _print_counts("would redrive", plan, plan.by_topic())
        typer.echo("dry run: nothing sent")
        return
    if plan.records and not yes:
        targets = ", ".join(f"{t} ({n})" for t, n in plan.by_topic().items())
        question = f"redrive {_plural(len(plan.records), 'dead letter')} to {targets}?"
        try:
            confirmed = typer.confirm(question, default=False)
        except typer.Abort:
            raise fail(
                "redrive needs confirmation: pass --yes (or --dry-run to preview)", EXIT_USAGE
            ) from None
        if not confirmed:
            typer.echo("nothing sent")
            raise typer.Exit(1)
    result = redrive(settings, plan.records)
    _print_counts("redriven", plan, result.sent)
    if result.failed:
        lost = sum(result.failed.values())
        raise fail(
            f"{_plural(lost, 'record')} not delivered "
            f"({', '.join(f'{t} {n}' for t, n in result.failed.items())}); "
            f"first error: {result.first_error}"
        )


def _print_counts(verb: str, plan: RedrivePlan, per_topic: dict[str, int]) -> None:
    total = sum(per_topic.values())
    typer.echo(f"{verb} {_plural(total, 'dead letter')}")
    for name, count in per_topic.items():
        typer.echo(f"  {name}: {count}")
    if plan.truncated:
        typer.echo(f"skipped {plan.truncated} truncated (their value is incomplete)")
    if plan.duplicates:
        what = _plural(plan.duplicates, "duplicate")
        typer.echo(f"skipped {what} (the same source record dead-lettered more than once)")
    for name, count in plan.missing_topics.items():
        typer.echo(f"skipped {count}: source topic {name!r} does not exist")
    for name, count in plan.expired.items():
        typer.echo(f"skipped {count}: older than the retention of topic {name!r}")
    if plan.no_source:
        typer.echo(f"skipped {plan.no_source} without a dlq.source.topic header")
