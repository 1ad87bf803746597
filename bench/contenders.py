"""The four contenders: how each is launched and what it must output to be done."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import APPEND_TIME_CONFIG
from bench.workload import Expected, write_pipeline

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Context:
    """What every contender shares within one benchmark invocation."""

    bootstrap: str
    workdir: Path
    input_topic: str
    reference_topic: str
    partitions: int
    expected: Expected
    batch_size: int  # stream-engine worker.batch_size, and the raw loop's consume() size
    batch_wait_ms: int
    take_size: int  # Faust take() size of contender (b)
    faust_linger_ms: int  # Faust (aiokafka) producer linger of (b) and (c)


@dataclass(frozen=True)
class Launch:
    """One run of one contender: its command, environment and output topics."""

    argv: list[str]
    env: dict[str, str]
    outputs: list[str]  # every topic it writes; completion = their total reaches `expected`
    expected: int
    created: list[tuple[str, int, dict[str, str]]] = field(default_factory=list)
    notes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    describe: str
    launch: Callable[[Context, str], Launch]


def _env(ctx: Context, **extra: str) -> dict[str, str]:
    pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {
        **os.environ,
        "PYTHONPATH": pythonpath,
        "PYTHONUNBUFFERED": "1",
        "KAFKA_BOOTSTRAP_SERVERS": ctx.bootstrap,
        **extra,
    }


def _topics(ctx: Context, *names: str) -> list[tuple[str, int, dict[str, str]]]:
    return [(n, ctx.partitions, dict(APPEND_TIME_CONFIG)) for n in names]


def _raw(ctx: Context, run_id: str) -> Launch:
    out = f"bench-a-out-{run_id}"
    env = _env(
        ctx,
        IN_TOPIC=ctx.input_topic,
        OUT_TOPIC=out,
        GROUP_ID=f"bench-a-{run_id}",
        BATCH_SIZE=str(ctx.batch_size),
    )
    argv = [sys.executable, "-m", "bench.apps.raw_passthrough"]
    return Launch(
        argv, env, [out], ctx.expected.events, _topics(ctx, out), {"batch": ctx.batch_size}
    )


def _faust(module: str, key: str, processing: bool) -> Callable[[Context, str], Launch]:
    def launch(ctx: Context, run_id: str) -> Launch:
        out = f"bench-{key}-out-{run_id}"
        dlq = f"bench-{key}-dlq-{run_id}"
        datadir = ctx.workdir / f"faust-{key}-{run_id}"
        extra = {
            "APP_ID": f"bench-{key}-{run_id}",
            "IN_TOPIC": ctx.input_topic,
            "OUT_TOPIC": out,
            "DATA_DIR": str(datadir),
            "BATCH_SIZE": str(ctx.batch_size),
            "TAKE_SIZE": str(ctx.take_size),
            "FAUST_LINGER_MS": str(ctx.faust_linger_ms),
        }
        if processing:
            extra |= {"DLQ_TOPIC": dlq, "REF_TOPIC": ctx.reference_topic}
            outputs, expected = [out, dlq], ctx.expected.passed + ctx.expected.bad
        else:
            outputs, expected = [out], ctx.expected.events
        argv = [sys.executable, "-m", f"bench.apps.{module}", "worker", "-l", "warn"]
        notes: dict[str, object] = {"linger_ms": ctx.faust_linger_ms}
        if not processing:
            notes["take"] = ctx.take_size
        return Launch(argv, _env(ctx, **extra), outputs, expected, _topics(ctx, *outputs), notes)

    return launch


def _pipeline(ctx: Context, key: str, run_id: str, windowed: bool = False) -> tuple[Path, str, str]:
    name = f"bench-{key}-{run_id}"
    out, dlq = f"{name}-out", f"{name}-dlq"
    path = write_pipeline(
        ctx.workdir,
        name,
        source=ctx.input_topic,
        reference=ctx.reference_topic,
        sink=out,
        dead_letter=dlq,
        batch_size=ctx.batch_size,
        batch_wait_ms=ctx.batch_wait_ms,
        window_sink=f"{name}-windows" if windowed else None,
    )
    return path, out, dlq


def _stream_engine(
    ctx: Context, run_id: str, key: str = "d", windowed: bool = False, runtime: str = "faust"
) -> Launch:
    path, out, dlq = _pipeline(ctx, key, run_id, windowed)
    argv = [
        sys.executable,
        "-m",
        "stream_engine",
        "worker",
        str(path),
        "--metrics-port",
        "0",
        "--datadir",
        str(ctx.workdir / f"faust-{key}-{run_id}"),
        "--runtime",
        runtime,
    ]
    env = _env(ctx, STREAM_ENGINE_LOG_LEVEL="INFO")
    return Launch(
        argv,
        env,
        [out, dlq],
        ctx.expected.passed + ctx.expected.bad,
        _topics(ctx, out, dlq),
        {"batch_size": ctx.batch_size, "batch_wait_ms": ctx.batch_wait_ms, "runtime": runtime},
    )


def _experiment(ctx: Context, run_id: str) -> Launch:
    path, out, dlq = _pipeline(ctx, "e", run_id)
    argv = [sys.executable, "-m", "bench.apps.topology_confluent", str(path)]
    return Launch(
        argv,
        _env(ctx, STREAM_ENGINE_LOG_LEVEL="INFO"),
        [out, dlq],
        ctx.expected.passed + ctx.expected.bad,
        _topics(ctx, out, dlq),
        {"batch_size": ctx.batch_size, "batch_wait_ms": ctx.batch_wait_ms},
    )


CONTENDERS: dict[str, Contender] = {
    c.key: c
    for c in (
        Contender(
            "a",
            "raw confluent-kafka passthrough",
            "consume(batch) -> produce each value -> flush -> commit",
            _raw,
        ),
        Contender(
            "b",
            "Faust take() passthrough",
            "stream.take(N, within=0.2) -> send each value",
            _faust("faust_take", "b", processing=False),
        ),
        Contender(
            "c",
            "Faust per-event agent",
            "per event: decode, enrich, filter, map, encode, send",
            _faust("faust_agent", "c", processing=True),
        ),
        Contender(
            "d",
            "stream-engine worker",
            "pipeline YAML: enrich, filter, map, JSON sink, dead letters",
            _stream_engine,
        ),
        Contender(
            "f",
            "stream-engine worker + window",
            "pipeline d plus a tumbling 5m count+sum per user (changelog-backed state)",
            lambda ctx, run_id: _stream_engine(ctx, run_id, "f", windowed=True),
        ),
        Contender(
            "g",
            "stream-engine worker --runtime kafka",
            "pipeline d on the confluent-kafka batch consumer runtime",
            lambda ctx, run_id: _stream_engine(ctx, run_id, "g", runtime="kafka"),
        ),
        Contender(  # not run by default: evidence for the profile, not a product path
            "e",
            "experiment: topology on confluent",
            "same pipeline, Topology + Delivery fed by confluent-kafka consume(batch)",
            _experiment,
        ),
    )
}


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]
