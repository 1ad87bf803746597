"""`stream-engine analyze` and `stream-engine compare`: reports from run logs and task logs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import typer

from stream_engine.analyzer import RunReport, TaskReport, analyze_run, analyze_tasks, load_input
from stream_engine.analyzer.compare import compare, compare_text
from stream_engine.analyzer.html import run_html, task_html
from stream_engine.analyzer.loading import RunLog
from stream_engine.analyzer.text import run_text, task_text
from stream_engine.cli.errors import fail, handle_errors
from stream_engine.errors import ConfigError

FORMATS = ("text", "json", "html")


def report_for(path: Path) -> RunReport | TaskReport:
    loaded = load_input(path)
    return analyze_run(loaded) if isinstance(loaded, RunLog) else analyze_tasks(loaded)


def as_json(report: RunReport | TaskReport) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    if isinstance(report, RunReport):
        data["wait_share"] = report.wait_share
        data["capacity"]["capped"] = report.capacity.capped
    else:
        data["saving_s"] = report.saving_s
    return data


@handle_errors
def analyze(
    log: Path = typer.Argument(
        ...,
        help="A run log (worker --run-log) or a task log (JSON list of tasks).",
        show_default=False,
    ),
    fmt: str = typer.Option("text", "--format", "-f", help="text (80 columns), json or html."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report here instead of stdout."
    ),
) -> None:
    """Analyze a run log or a task log: where time goes, and what to change.

    Run log: throughput, step shares, the bottleneck, broker wait vs processing,
    memory, lag trend, partition skew, recommendations. Task log: slowest tasks,
    memory spikes, the critical path, tasks that could have run in parallel.
    """
    if fmt not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}", 2)
    report = report_for(log)
    if fmt == "json":
        body = json.dumps(as_json(report), indent=2) + "\n"
    elif fmt == "html":
        body = run_html(report) if isinstance(report, RunReport) else task_html(report)
    else:
        body = run_text(report) if isinstance(report, RunReport) else task_text(report)
    _emit(body, output)


@handle_errors
def compare_cmd(
    before: Path = typer.Argument(
        ..., help="The run log (or task log) before.", show_default=False
    ),
    after: Path = typer.Argument(..., help="The run log (or task log) after.", show_default=False),
    json_output: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
) -> None:
    """Print a before/after table of two run logs (or two task logs) with % changes."""
    rows = compare(report_for(before), report_for(after))
    if json_output:
        data = [{**dataclasses.asdict(r), "change_pct": r.change} for r in rows]
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(compare_text(rows, str(before), str(after)), nl=False)


def _emit(body: str, output: Path | None) -> None:
    if output is None:
        typer.echo(body, nl=False)
        return
    try:
        output.write_text(body, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror}") from None
    typer.echo(f"wrote {output}")
