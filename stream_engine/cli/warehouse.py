"""`stream-engine warehouse dim-date`: the calendar dimension, in DuckDB or PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from connectors.base import SinkRow
from connectors.sql.database import open_database
from connectors.sql.table_sink import TableSink
from stream_engine.cli.errors import handle_errors
from stream_engine.errors import ConfigError
from stream_engine.warehouse.dim_date import dim_date_rows, read_holidays

warehouse_app = typer.Typer(
    help="Warehouse tables: the dim_date calendar dimension.", no_args_is_help=True
)


def _day(option: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option}: expected a date YYYY-MM-DD, got {text!r}") from None


@warehouse_app.command("dim-date")
@handle_errors
def dim_date(
    start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD.", show_default=False),
    end: str = typer.Option(
        ..., "--to", help="Last day (inclusive), YYYY-MM-DD.", show_default=False
    ),
    output: str = typer.Option(
        ...,
        "--output",
        help="duckdb:PATH (a DuckDB file) or postgresql://... (a database).",
        show_default=False,
    ),
    table: str = typer.Option("dim_date", help="Table name (schema.table allowed)."),
    fiscal_start_month: int = typer.Option(
        1, help="First month of the fiscal year (4: April); fiscal years end in their name."
    ),
    holidays: Path | None = typer.Option(
        None, help="File of YYYY-MM-DD[,name] lines: sets is_holiday and holiday_name."
    ),
) -> None:
    """Write one row per day (upsert by date_key, so reruns extend or correct the range)."""
    if not output.startswith(("duckdb:", "postgresql://", "postgres://")):
        raise ConfigError("--output: expected duckdb:PATH or postgresql://...")
    if output.startswith("duckdb:") and not output.removeprefix("duckdb:").strip():
        # duckdb.connect("") is an in-memory database: the rows would vanish on exit
        raise ConfigError("--output duckdb: needs a file path, e.g. duckdb:warehouse.duckdb")
    if not table.strip() or not all(part.strip() for part in table.split(".")):
        raise ConfigError(f"--table must name a table (or schema.table), got {table!r}")
    days = read_holidays(holidays) if holidays is not None else {}
    rows = dim_date_rows(_day("--from", start), _day("--to", end), fiscal_start_month, days)
    sink = TableSink("dim_date", open_database(output), table, "upsert", ["date_key"])
    try:
        sink.add([SinkRow(row, 0) for row in rows])
        sink.flush()
    finally:
        sink.close()
    typer.echo(f"{table}: {len(rows)} days from {start} to {end} written to {sink.db.label}")
