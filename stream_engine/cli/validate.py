"""`stream-engine validate`: check a whole dataset against a rules file, offline."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from stream_engine.cli.errors import EXIT_FAILURE, fail, handle_errors
from stream_engine.quality.history import default_path
from stream_engine.quality.offline import ValidationRun, run_validation
from stream_engine.quality.report_html import render_html
from stream_engine.quality.report_json import render_json
from stream_engine.quality.report_text import render_text
from stream_engine.settings import load_settings

EXIT_PASSED = 0
EXIT_CHECKS_FAILED = EXIT_FAILURE  # only with --fail-on-error


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


SOURCE_HELP = (
    "What to validate: a CSV, JSONL, Parquet or Avro file or a folder of them; "
    "kafka://TOPIC?from=...&to=...&format=json|avro&schema=FILE; "
    "postgresql://USER@HOST:PORT/DB?table=NAME; duckdb:///PATH.duckdb?table=NAME "
    "or a .duckdb file with --table."
)


@handle_errors
def validate(
    source: str = typer.Argument(..., help=SOURCE_HELP, show_default=False),
    rules: Path = typer.Argument(..., help="The rules file (YAML).", show_default=False),
    table: str | None = typer.Option(
        None,
        "--table",
        help="The rules file's table to apply (default: its only table, or the one named "
        "like the source); also the database table when SOURCE names none.",
    ),
    fail_on_error: bool = typer.Option(
        False, "--fail-on-error", help="Exit 1 when a check of severity error fails."
    ),
    report_format: ReportFormat = typer.Option(
        ReportFormat.text, "--format", help="Report format: text, json or html."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report to this file instead of stdout."
    ),
    history: Path | None = typer.Option(
        None,
        "--history",
        help="SQLite file that keeps every run's metrics, for anomaly checks and HTML trends "
        "(default: STREAM_ENGINE_QUALITY_HISTORY, else "
        "$XDG_DATA_HOME/stream-engine/quality-history.sqlite).",
        show_default=False,
    ),
    no_history: bool = typer.Option(
        False, "--no-history", help="Neither read nor append the history."
    ),
) -> None:
    """Validate a dataset against quality rules and report the results.

    Exit codes (docs/validate.md):

    0: the run completed (checks may have failed, unless --fail-on-error).

    1: a check of severity error failed and --fail-on-error is set; or the source
    cannot be read (unreachable broker or database, corrupt file, unknown table).

    2: usage or configuration error (bad option, missing file, bad URI, bad rules).
    """
    if no_history and history is not None:
        raise fail("--history and --no-history exclude each other", 2)
    if not rules.is_file():
        raise fail(f"{rules}: no such rules file", 2)
    settings = load_settings()
    store = None if no_history else (history or settings.quality_history or default_path())
    run = run_validation(source, rules, settings=settings, table=table, history=store)
    text = _render(run, report_format)
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write the report to {output}: {exc.strerror or exc}", 1) from None
        s = run.summary
        typer.echo(
            f"{s.table}: quality score {s.score:.1%}, failing {s.failed_errors} error and "
            f"{s.failed_warnings} warn of {s.checks} checks; report in {output}"
        )
    if fail_on_error and run.failed:
        raise typer.Exit(EXIT_CHECKS_FAILED)


def _render(run: ValidationRun, report_format: ReportFormat) -> str:
    if report_format is ReportFormat.json:
        return render_json(run)
    if report_format is ReportFormat.html:
        return render_html(run)
    return render_text(run)
