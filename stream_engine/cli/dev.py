"""`stream-engine dev broker ...`: the local Apache Kafka broker."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from stream_engine.cli.errors import handle_errors
from stream_engine.devbroker import LocalBroker

dev_app = typer.Typer(help="Development helpers: a local Kafka broker.", no_args_is_help=True)
broker_app = typer.Typer(
    help="Start, stop and inspect a local Apache Kafka 3.9.1 broker (KRaft, 127.0.0.1).",
    no_args_is_help=True,
)
dev_app.add_typer(broker_app, name="broker")

HomeOption = typer.Option(
    None, "--home", help="Folder for the broker's data, log and pid (default: user cache)."
)


@broker_app.command("start")
@handle_errors
def start(
    port: int | None = typer.Option(None, min=1, max=65535, help="Client port (default: free)."),
    controller_port: int | None = typer.Option(None, min=1, max=65535, help="KRaft port."),
    timeout: float = typer.Option(90, min=1, help="Seconds to wait until it is ready."),
    home: Path | None = HomeOption,
) -> None:
    """Start the broker (jars are fetched by Maven once) and print its bootstrap address."""
    began = time.monotonic()
    info = LocalBroker(home).start(port=port, controller_port=controller_port, timeout_s=timeout)
    if info.already_running:
        typer.echo(f"already running: {info.bootstrap} (pid {info.pid})")
    else:
        took = time.monotonic() - began
        typer.echo(f"started: {info.bootstrap} (pid {info.pid}, {took:.1f}s)")
    typer.echo(f"export KAFKA_BOOTSTRAP_SERVERS={info.bootstrap}")


@broker_app.command("stop")
@handle_errors
def stop(home: Path | None = HomeOption) -> None:
    """Stop the broker started from this home (never any other process)."""
    typer.echo("stopped" if LocalBroker(home).stop() else "not running")


@broker_app.command("status")
@handle_errors
def status(home: Path | None = HomeOption) -> None:
    """Print the running broker's address, or exit 1 when none runs."""
    info = LocalBroker(home).status()
    if info is None:
        typer.echo("not running")
        raise typer.Exit(1)
    typer.echo(f"running: {info.bootstrap} (pid {info.pid}, home {info.home})")


@broker_app.command("logs")
@handle_errors
def logs(
    lines: int = typer.Option(50, "-n", "--lines", min=1, help="How many lines."),
    home: Path | None = HomeOption,
) -> None:
    """Print the last lines of the broker's log."""
    for line in LocalBroker(home).tail(lines):
        typer.echo(line)
