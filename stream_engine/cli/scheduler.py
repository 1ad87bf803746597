"""`stream-engine scheduler run|history`: scheduled backfills declared in the pipeline file."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from stream_engine.cli.errors import EXIT_FAILURE, handle_errors
from stream_engine.cli.pipeline import PipelineArg
from stream_engine.logs import configure_logging
from stream_engine.settings import load_settings

scheduler_app = typer.Typer(
    help=(
        "Run the pipeline's scheduled replays (its `replays` section) and show their history. "
        "`stream-engine scheduler PIPELINE` is short for `stream-engine scheduler run PIPELINE`."
    ),
    no_args_is_help=True,
)
HistoryDir = typer.Option(
    Path(".stream-engine/scheduler"),
    "--history-dir",
    envvar="STREAM_ENGINE_SCHEDULER_DIR",
    help="Where the run history (history.jsonl) is kept.",
)


@scheduler_app.command("run")
@handle_errors
def run(
    pipeline: Path = PipelineArg,
    once: bool = typer.Option(
        False,
        "--once",
        help="Run the jobs now, once each (scheduled at the current time), then exit.",
    ),
    job: list[str] = typer.Option([], "--job", help="Only this job (repeatable)."),
    history_dir: Path = HistoryDir,
) -> None:
    """Run each replay job on its cron schedule (UTC) until SIGTERM, or now with --once.

    Every run retries with exponential backoff (except config errors, exit 2, which
    cannot succeed), is killed at its timeout, and is recorded in the history; with
    --once the exit code is 1 when a run failed.
    """
    from stream_engine.runtime.replay.history import History
    from stream_engine.runtime.replay.launcher import SubprocessLauncher
    from stream_engine.runtime.replay.scheduler import Scheduler
    from stream_engine.spec import load_pipeline

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    spec = load_pipeline(pipeline)
    scheduler = Scheduler(spec, History(history_dir), SubprocessLauncher(pipeline))
    for name in job:
        scheduler.job(name)  # unknown names fail before anything runs
    if once:
        runs = scheduler.run_now(job or None)
        for r in runs:
            typer.echo(
                f"{r.job}: {r.status} after {r.attempts} attempt(s) in {r.duration_s:.1f}s"
                + (f": {r.error}" if r.error else "")
            )
        if any(r.status != "ok" for r in runs):
            raise typer.Exit(EXIT_FAILURE)
        return
    if job:
        scheduler.spec = spec.model_copy(update={"replays": {n: spec.replays[n] for n in job}})
    signal.signal(signal.SIGTERM, scheduler.stop)
    signal.signal(signal.SIGINT, scheduler.stop)
    scheduler.run_forever()


@scheduler_app.command("history")
@handle_errors
def history(
    history_dir: Path = HistoryDir,
    job: str | None = typer.Option(None, "--job", help="Only this job's runs."),
    limit: int = typer.Option(20, min=1, help="The most recent runs to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of a table."),
) -> None:
    """Show the most recent scheduled runs: status, duration, records and outputs."""
    from stream_engine.runtime.replay.history import History

    store = History(history_dir)
    runs = store.read(job)[-limit:]
    if store.damaged:
        print(f"warning: skipped {store.damaged} damaged line(s) in {store.path}", file=sys.stderr)
    if as_json:
        for r in runs:
            typer.echo(json.dumps(r.to_json()))
        return
    if not runs:
        typer.echo(f"no runs recorded in {history_dir}")
        return
    table = Table(
        "job",
        "scheduled",
        "status",
        "attempts",
        "duration",
        "read",
        "emitted",
        "dead letters",
        "error",
    )
    for r in runs:
        table.add_row(
            r.job,
            r.scheduled_at,
            r.status,
            str(r.attempts),
            f"{r.duration_s:.1f}s",
            f"{r.records_read:,}",
            f"{sum(r.emitted.values()):,}",
            f"{sum(r.dead_letters.values()):,}",
            r.error or "",
        )
    Console(width=200).print(table)
