"""The `stream-engine` command."""

from __future__ import annotations

import sys

import typer
from typer import _click as click  # typer vendors click; its exceptions live here

from stream_engine import __version__
from stream_engine.cli import analyze as analyze_cmd
from stream_engine.cli import extract as extract_cmd
from stream_engine.cli import load as load_cmd
from stream_engine.cli import monitor as monitor_cmd
from stream_engine.cli import pipeline as pipeline_cmds
from stream_engine.cli import produce as produce_cmd
from stream_engine.cli import replay as replay_cmd
from stream_engine.cli import reset as reset_cmd
from stream_engine.cli import validate as validate_cmd
from stream_engine.cli.dev import dev_app
from stream_engine.cli.dlq import dlq_app
from stream_engine.cli.scheduler import scheduler_app
from stream_engine.cli.schema import schema_app
from stream_engine.cli.warehouse import warehouse_app

app = typer.Typer(
    name="stream-engine",
    help="Streaming-first event processing on Kafka.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(dev_app, name="dev")
app.add_typer(dlq_app, name="dlq")
app.add_typer(schema_app, name="schema")
app.add_typer(scheduler_app, name="scheduler")
app.add_typer(warehouse_app, name="warehouse")
app.command("check")(pipeline_cmds.check)
app.command("worker")(pipeline_cmds.worker)
app.command("monitor")(monitor_cmd.monitor)
app.command("analyze")(analyze_cmd.analyze)
app.command("compare")(analyze_cmd.compare_cmd)
app.command("produce")(produce_cmd.produce)
app.command("extract")(extract_cmd.extract)
app.command("load")(load_cmd.load)
app.command("reset")(reset_cmd.reset)
app.command("replay")(replay_cmd.replay)
app.command("validate")(validate_cmd.validate)


@app.command("version")
def version() -> None:
    """Print the installed version."""
    typer.echo(__version__)


def with_shorthands(args: list[str]) -> list[str]:
    """`scheduler PIPELINE ...` is short for `scheduler run PIPELINE ...`."""
    subcommand = args[1] if len(args) > 1 and args[0] == "scheduler" else "run"
    if subcommand not in ("run", "history") and not subcommand.startswith("-"):
        return ["scheduler", "run", *args[1:]]
    return args


def run() -> None:
    """Entry point: usage errors become one plain line, like every other error."""
    try:
        result = app(args=with_shorthands(sys.argv[1:]), standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else "")
        sys.exit(0)
    except click.exceptions.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        print(f"error: {exc.format_message()}{hint}", file=sys.stderr)
        sys.exit(2)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(result if isinstance(result, int) else 0)
