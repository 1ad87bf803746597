"""`python -m bench.replay`: a replay beside the live worker, same data, same run.

The windowed reference pipeline (bench/workload.py: enrich, filter, map, JSON sink, dead
letters, a 5-minute tumbling count+sum per user) over the same pre-filled input topic:

- (k) `stream-engine worker --runtime kafka` (the fast live runtime)
- (f) `stream-engine worker` (Faust runtime), fewer runs: it is slow
- (r) `stream-engine replay --from earliest --to latest --to-live` into fresh topics
- (p) the same replay with `--workers 2` (partitions split over two processes)

Throughput is measured as in bench/run.py: input events / span of broker append times
over the sink and dead-letter topics (start-up excluded, reported apart). Rounds are
interleaved; medians are reported. The issue's target: r/k >= 3.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.contenders import Context, Launch, _env, _pipeline, _stream_engine, _topics, new_run_id
from bench.measure import ContenderFailed, Watcher
from bench.run import code_version, machine_info, measure_once
from bench.workload import Workload, fill_input, fill_reference
from connectors.kafka_admin import TopicRequest, delete_topics, ensure_topics, wait_for_cluster
from stream_engine.settings import Settings

DEFAULT_OUT = Path(__file__).parent / "results" / "replay.json"
TARGET = 3.0
LABELS = {
    "k": "live worker --runtime kafka (+ window)",
    "f": "live worker, Faust runtime (+ window)",
    "r": "stream-engine replay --to-live (+ window)",
    "p": "stream-engine replay --to-live --workers 2",
}


def _replay(ctx: Context, run_id: str, batch: int, workers: int = 1) -> Launch:
    path, out, dlq = _pipeline(ctx, "r" if workers == 1 else "p", run_id, windowed=True)
    argv = [sys.executable, "-m", "stream_engine", "replay", str(path), "--from", "earliest"]
    argv += ["--to", "latest", "--to-live", "--batch-size", str(batch), "--run-id", run_id]
    argv += ["--workers", str(workers)]
    return Launch(
        argv,
        _env(ctx, STREAM_ENGINE_LOG_LEVEL="INFO"),
        [out, dlq],
        ctx.expected.passed + ctx.expected.bad,
        _topics(ctx, out, dlq),
        {"batch_size": batch, "workers": workers},
    )


def _launch(key: str, ctx: Context, run_id: str, replay_batch: int) -> Launch:
    if key in ("r", "p"):
        return _replay(ctx, run_id, replay_batch, 1 if key == "r" else 2)
    runtime = "kafka" if key == "k" else "faust"
    return _stream_engine(ctx, run_id, key, windowed=True, runtime=runtime)


def _leftovers(admin: Any, launch: Launch) -> list[str]:
    """Window result and changelog topics the contender created (not measured)."""
    name = launch.outputs[0].removesuffix("-out")
    topics = admin.list_topics(timeout=10).topics
    return sorted({t for t in topics if t.startswith(name) or f".{name}." in t})


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--runs", type=int, default=3, help="runs of (k) and (r)")
    p.add_argument("--faust-runs", type=int, default=1, help="runs of (f); 0 skips it")
    p.add_argument("--batch-size", type=int, default=1000, help="worker.batch_size of (k), (f)")
    p.add_argument("--replay-batch", type=int, default=5000, help="--batch-size of (r)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        print("set KAFKA_BOOTSTRAP_SERVERS (e.g. from `stream-engine dev broker start`)")
        return 2
    pid = os.environ.get("BENCH_BROKER_PID")
    broker_pid = int(pid) if pid else None
    machine = machine_info()
    settings = Settings(kafka_bootstrap_servers=bootstrap)
    admin = wait_for_cluster(settings)
    workdir = Path(tempfile.mkdtemp(prefix="stream-engine-bench-replay-"))
    bench_id = new_run_id()
    input_topic, ref_topic = f"bench-in-{bench_id}", f"bench-ref-{bench_id}"
    ensure_topics(
        admin,
        [
            TopicRequest(input_topic, args.partitions, 1, {"retention.ms": "-1"}),
            TopicRequest(ref_topic, 1, 1, {"cleanup.policy": "compact"}),
        ],
    )
    work = Workload(args.events)
    fill_reference(settings, work, ref_topic)
    expected = fill_input(settings, work, input_topic)
    print(f"input: {expected.events:,} events on {args.partitions} partitions", flush=True)
    ctx = Context(
        bootstrap,
        workdir,
        input_topic,
        ref_topic,
        args.partitions,
        expected,
        args.batch_size,
        200,
        500,
        20,
    )
    watcher = Watcher(settings)
    runs: dict[str, list[dict[str, Any]]] = {"k": [], "f": [], "r": [], "p": []}
    try:
        for round_no in range(1, max(args.runs, args.faust_runs) + 1):
            keys = [k for k in ("k", "r", "p") if round_no <= args.runs]
            keys += ["f"] if round_no <= args.faust_runs else []
            for key in keys:
                launch = _launch(key, ctx, new_run_id(), args.replay_batch)
                try:
                    result = measure_once(
                        key, launch, admin, watcher, workdir, args.events, broker_pid
                    )
                except ContenderFailed as exc:
                    print(f"run {round_no} ({key}) FAILED: {exc}", flush=True)
                    continue
                finally:
                    delete_topics(admin, _leftovers(admin, launch))
                runs[key].append(result)
                print(
                    f"run {round_no} ({key}) {LABELS[key]}: {result['events_per_s']:,.0f} events/s "
                    f"over {result['span_s']:.2f}s (startup {result['startup_s']:.1f}s, "
                    f"CPU {result['cpu_cores'].get('contender', 0):.2f})",
                    flush=True,
                )
                time.sleep(1)
    finally:
        watcher.close()
        delete_topics(admin, [input_topic, ref_topic])
        shutil.rmtree(workdir, ignore_errors=True)
    summary = {
        k: {
            "label": LABELS[k],
            "median_events_per_s": statistics.median(r["events_per_s"] for r in rs),
            "runs": len(rs),
            "median_startup_s": statistics.median(r["startup_s"] for r in rs),
            "median_cpu_cores": statistics.median(r["cpu_cores"].get("contender", 0) for r in rs),
        }
        for k, rs in runs.items()
        if rs
    }
    ratios = {
        f"{r}/{k}": summary[r]["median_events_per_s"] / summary[k]["median_events_per_s"]
        for r in ("r", "p")
        for k in ("k", "f")
        if r in summary and k in summary
    }
    print()
    for k, s in summary.items():
        print(
            f"({k}) {s['label']:45} {s['median_events_per_s']:>10,.0f} events/s "
            f"(median of {s['runs']}, startup {s['median_startup_s']:.1f}s)"
        )
    for name, value in ratios.items():
        verdict = f"  (target >= {TARGET:g}: {'met' if value >= TARGET else 'NOT met'})"
        print(f"{name} = {value:.2f}" + (verdict if name.endswith("/k") else ""))
    doc = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "code": code_version(),
        "config": {**vars(args), "out": str(args.out)},
        "input": asdict(expected),
        "method": "events/s = input events / span of broker append times over sink + DLQ",
        "summary": summary,
        "ratios": ratios,
        "target": {"r/k": TARGET},
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\nresults written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
