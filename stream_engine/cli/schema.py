"""`stream-engine schema check|model|from-model`: evolve Avro schemas safely, one definition."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from stream_engine.cli.errors import EXIT_FAILURE, handle_errors
from stream_engine.errors import ConfigError

schema_app = typer.Typer(
    help="Avro schemas: compatibility between versions, and pydantic models from and to .avsc.",
    no_args_is_help=True,
)


@schema_app.command("check")
@handle_errors
def check(
    old: Path = typer.Argument(..., help="The schema in use (.avsc).", show_default=False),
    new: Path = typer.Argument(..., help="The schema to replace it (.avsc).", show_default=False),
    mode: str = typer.Option(
        "backward",
        "--mode",
        help="backward: NEW reads data written with OLD; forward: OLD reads data written "
        "with NEW; full: both.",
    ),
) -> None:
    """Check whether NEW may replace OLD, by the Schema Registry's rules.

    Exit 0 when compatible, 1 when not (with the reasons), 2 when a file is unreadable.
    """
    from stream_engine.serde.compatibility import MODES, check_compatibility, read_schema

    if mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r}: expected one of {', '.join(MODES)}")
    names = {"old": str(old), "new": str(new)}
    verdict = check_compatibility(read_schema(old), read_schema(new), mode)
    word = "compatible" if verdict.compatible else "incompatible"
    typer.echo(f"{word} ({mode}): {new} replacing {old}")
    for direction in verdict.directions:
        reader, writer = names[direction.reader], names[direction.writer]
        if direction.compatible:
            typer.echo(f"  ok: {reader} reads data written with {writer}")
            continue
        typer.echo(f"  {reader} cannot read data written with {writer}:")
        for reason in direction.problems:
            typer.echo(f"    - {reason}")
    if not verdict.compatible:
        raise typer.Exit(EXIT_FAILURE)


@schema_app.command("model")
@handle_errors
def model(
    schema: Path = typer.Argument(..., help="A record schema (.avsc).", show_default=False),
) -> None:
    """Print Python source of pydantic models for an Avro record schema."""
    from stream_engine.producer.schema_model import model_source

    typer.echo(model_source(schema), nl=False)


@schema_app.command("from-model")
@handle_errors
def from_model(
    reference: str = typer.Argument(
        ...,
        metavar="MODULE:MODEL",
        help="The model to describe, e.g. myapp.events:PageView (importable from here).",
        show_default=False,
    ),
) -> None:
    """Print the Avro schema (.avsc JSON) of a pydantic model."""
    from stream_engine.producer.schema_model import avsc_from_model, load_model

    typer.echo(json.dumps(avsc_from_model(load_model(reference)), indent=2, ensure_ascii=False))
