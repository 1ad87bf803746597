"""`stream-engine monitor`: lag, rates and status of any consumer group; a Prometheus exporter."""

from __future__ import annotations

import json
import signal
import sys
import time

import typer
from prometheus_client import CollectorRegistry
from rich.console import Console
from rich.live import Live

from stream_engine.cli.errors import fail, handle_errors
from stream_engine.logs import configure_logging
from stream_engine.monitor.lag import GroupLag, LagTracker
from stream_engine.monitor.lag_metrics import LagCollector
from stream_engine.monitor.lag_sampler import LagSampler
from stream_engine.monitor.lag_view import as_json, lag_table, summary
from stream_engine.settings import load_settings

WINDOW_INTERVALS = 12


@handle_errors
def monitor(
    group: str = typer.Option(..., "--group", "-g", help="The consumer group to watch."),
    topics: list[str] | None = typer.Option(
        None,
        "--topic",
        "-t",
        help="Only this topic (repeatable; default: every topic the "
        "group has committed offsets for).",
    ),
    interval: float = typer.Option(5.0, min=0.1, max=86_400, help="Seconds between samples."),
    window: float | None = typer.Option(
        None,
        min=0.1,
        max=604_800,
        help="Evaluation window in seconds for the status (default: 12 intervals; with "
        "--once: one interval).",
    ),
    serve: int | None = typer.Option(
        None,
        "--serve",
        min=0,
        max=65535,
        help="Serve the values as Prometheus metrics on this port (/metrics), as an exporter.",
    ),
    pipeline: str | None = typer.Option(
        None, help="Value of the `pipeline` label on the metrics (default: the group id)."
    ),
    once: bool = typer.Option(
        False, "--once", help="Sample for one window, print the result and exit."
    ),
    json_output: bool = typer.Option(False, "--json", help="With --once: print JSON."),
) -> None:
    """Show a consumer group's lag (messages and seconds), rates and status.

    Status per partition, as Burrow has it: OK; WARN (lag grew over the whole
    window); STALL (offset not moving while lag > 0); STOP (no commits for longer
    than the window); REWIND (offset moved back). See docs/monitor.md.
    """
    if not group.strip():
        raise fail("--group must name a consumer group, got an empty string", 2)
    if json_output and not once:
        raise fail("--json needs --once", 2)
    if once and serve is not None:
        raise fail("--once and --serve exclude each other", 2)
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    from connectors.kafka_group_offsets import GroupOffsetsReader  # confluent-kafka is slow

    window_s = window if window is not None else interval * (1 if once else WINDOW_INTERVALS)
    label = pipeline or group
    reader = GroupOffsetsReader(settings, group, topics)
    collector = LagCollector(label)
    sampler = LagSampler(LagTracker(group, window_s), reader.snapshot, collector.set)
    if once:
        lag = _sample_window(sampler, interval, window_s)
        if not lag.partitions:
            raise fail(_nothing(group, topics), 1)
        if json_output:
            typer.echo(json.dumps(as_json(lag, label), indent=2))
        else:
            Console(width=120).print(lag_table(lag, pipeline))
        return
    first = sampler.sample()  # a wrong topic or an unreachable cluster: one line, at once
    if not first.partitions and serve is None:
        raise fail(_nothing(group, topics), 1)
    server = None
    if serve is not None:
        from stream_engine.monitor import MetricsServer

        registry = CollectorRegistry()
        registry.register(collector)
        server = MetricsServer(registry, settings.metrics_host, serve)
        server.start()
        print(
            f"serving metrics on http://{settings.metrics_host}:{server.port}/metrics",
            file=sys.stderr,
            flush=True,
        )
    signal.signal(signal.SIGTERM, _interrupt)  # an exporter in a container stops cleanly
    try:
        _watch(sampler, first, interval, pipeline, server)
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.close()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _sample_window(sampler: LagSampler, interval: float, window_s: float) -> GroupLag:
    started = time.monotonic()
    lag = sampler.sample()
    while time.monotonic() - started < window_s:
        time.sleep(interval)
        lag = sampler.sample()
    return lag


def _watch(
    sampler: LagSampler, first: GroupLag, interval: float, pipeline: str | None, server: object
) -> None:
    lag: GroupLag | None = first
    if sys.stdout.isatty():
        with Live(auto_refresh=False) as live:
            while True:
                if lag is not None:
                    live.update(lag_table(lag, pipeline), refresh=True)
                _beat(server)
                time.sleep(interval)
                lag = sampler.sample_quietly()
    while True:  # not a terminal (a container, a pipe): one line per sample
        if lag is not None:
            print(summary(lag), flush=True)
        _beat(server)
        time.sleep(interval)
        lag = sampler.sample_quietly()


def _beat(server: object) -> None:
    beat = getattr(server, "beat", None)
    if beat is not None:
        beat()


def _nothing(group: str, topics: list[str] | None) -> str:
    if topics:
        return f"topics {', '.join(topics)} have no partitions"
    return (
        f"consumer group {group!r} has no committed offsets; check the name or pass --topic "
        "to watch a topic it has not committed to yet"
    )
