"""`python -m bench.run`: the contenders, one after another, on the same input topic.

See docs/benchmarks.md for the method. Contenders never run concurrently (the broker and
the contender share the machine); rounds are interleaved (a b c d, a b c d, ...) so slow
drift of the machine spreads over every contender alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.contenders import CONTENDERS, Context, Launch, new_run_id
from bench.measure import ContenderFailed, Watcher
from bench.workload import Workload, fill_input, fill_reference
from connectors.kafka_admin import TopicRequest, delete_topics, ensure_topics, wait_for_cluster
from stream_engine.settings import Settings

DEFAULT_OUT = Path(__file__).parent / "results" / "latest.json"
TARGETS = {"d/b": 0.70, "d/c": 3.0, "g/b": 0.70, "g/c": 3.0, "f/d": 0.70}
PROFILERS = {"sampler": "bench.sampler", "cprofile": "bench.cprofile_run"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    p.add_argument("--events", type=int, default=1_000_000, help="input events (default 1M)")
    p.add_argument("--partitions", type=int, default=4, help="input/output partitions")
    p.add_argument("--runs", type=int, default=3, help="runs per contender (median reported)")
    p.add_argument(
        "--only",
        default="a,b,c,d",
        help="contenders to run, e.g. a,d; `e` (an experiment, see bench/apps/"
        "topology_confluent.py) runs only when named",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=1000,
        help="stream-engine worker.batch_size and the raw loop's consume() size",
    )
    p.add_argument("--batch-wait-ms", type=int, default=200, help="stream-engine worker.batch_wait")
    p.add_argument("--take-size", type=int, default=500, help="Faust take() size of (b)")
    p.add_argument(
        "--faust-linger-ms",
        type=int,
        default=20,
        help="aiokafka producer linger of the Faust contenders (b, c); 0 is Faust's default",
    )
    p.add_argument("--bad-ratio", type=float, default=0.01, help="undecodable input share")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    p.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="run every contender under a profiler, writing DIR/<contender>-<run>-<profiler>.txt"
        " (slows them down: never use these figures)",
    )
    p.add_argument(
        "--profiler",
        choices=sorted(PROFILERS),
        default="sampler",
        help="with --profile: bench.sampler (every thread) or cProfile (event loop thread)",
    )
    p.add_argument("--keep", action="store_true", help="keep the work dir (logs, pipeline files)")
    args = p.parse_args(argv)
    keys = [k.strip() for k in args.only.split(",") if k.strip()]
    unknown = [k for k in keys if k not in CONTENDERS]
    if unknown or not keys:
        p.error(f"--only: unknown contender(s) {unknown}; choose from {','.join(CONTENDERS)}")
    args.keys = sorted(set(keys))
    return args


def machine_info() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions: dict[str, str] = {}
    for name in ("faust", "confluent_kafka", "aiokafka", "orjson", "pandas", "numpy"):
        try:
            module = __import__(name)
            versions[name] = str(getattr(module, "__version__", "?"))
        except ImportError:
            continue
    import confluent_kafka

    versions["librdkafka"] = confluent_kafka.libversion()[0]
    return {
        "nproc": os.cpu_count(),
        "loadavg_at_start": list(os.getloadavg()),
        "cpu": model,
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def code_version() -> dict[str, Any]:
    """The commit measured, and the files of the runtime that differ from it."""
    repo = Path(__file__).resolve().parent.parent

    def git(*cmd: str) -> str:
        try:
            done = subprocess.run(
                ["git", *cmd], cwd=repo, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout if done.returncode == 0 else ""

    changed = git("status", "--porcelain", "--", "stream_engine", "connectors")
    return {
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "uncommitted": [line[3:] for line in changed.splitlines() if line.strip()],
    }


# -- one measurement ---------------------------------------------------------------


def _stop(proc: subprocess.Popen[bytes], timeout_s: float = 60) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def profiled(launch: Launch, out: Path, profiler: str) -> Launch:
    """The same launch under a profiler (every argv is `python -m MODULE ...`)."""
    argv = [*launch.argv[:2], PROFILERS[profiler], *launch.argv[2:]]
    return replace(launch, argv=argv, env={**launch.env, "SAMPLE_OUT": str(out)})


def measure_once(
    key: str,
    launch: Launch,
    admin: Any,
    watcher: Watcher,
    workdir: Path,
    events: int,
    broker_pid: int | None = None,
) -> dict[str, Any]:
    ensure_topics(admin, [TopicRequest(n, p, 1, c) for n, p, c in launch.created])
    log_path = workdir / f"{key}-{launch.outputs[0]}.log"
    timeout_s = max(180.0, events / 1000)
    with log_path.open("wb") as log:
        started = time.monotonic()
        proc = subprocess.Popen(
            launch.argv, env=launch.env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir
        )
        try:
            progress = watcher.wait_for(
                proc,
                started,
                launch.outputs,
                launch.expected,
                timeout_s,
                watch_pids={"broker": broker_pid} if broker_pid else None,
            )
        except ContenderFailed as exc:
            _stop(proc)
            raise ContenderFailed(f"{key}: {exc}\n--- {log_path} ---\n{_tail(log_path)}") from None
        except BaseException:
            _stop(proc)
            raise
        code = _stop(proc)
    first_ms, last_ms = watcher.append_span_ms(launch.outputs)
    final = watcher.count(launch.outputs)
    span_s = max((last_ms - first_ms) / 1000, 1e-3)
    delete_topics(admin, launch.outputs)
    return {
        "events_per_s": events / span_s,
        "span_s": span_s,
        "startup_s": progress.first_seen - progress.started,
        "wall_s": progress.done - progress.started,
        "outputs": final,
        "expected_outputs": launch.expected,
        "duplicates": max(final - launch.expected, 0),
        "exit_code": code,
        # CPU seconds per wall second while outputs were flowing (1.0 = one core busy)
        "cpu_cores": {
            name: used / max(progress.done - progress.first_seen, 1e-3)
            for name, used in progress.cpu_s.items()
        },
        "log": str(log_path),
        **launch.notes,
    }


# -- reporting ---------------------------------------------------------------------


def _line(result: dict[str, Any]) -> str:
    cpu = ", ".join(f"{name} {cores:.2f}" for name, cores in result["cpu_cores"].items())
    dup = f", {result['duplicates']} DUPLICATES" if result["duplicates"] else ""
    return (
        f"{result['events_per_s']:,.0f} events/s over {result['span_s']:.2f}s "
        f"(startup {result['startup_s']:.1f}s, CPU cores: {cpu}, exit {result['exit_code']}{dup})"
    )


def _other_cores(result: dict[str, Any]) -> float:
    """CPU the rest of the machine used meanwhile (not the contender, not the broker)."""
    cores: dict[str, float] = result["cpu_cores"]
    if "machine" not in cores:
        return 0.0
    return max(cores["machine"] - cores.get("contender", 0.0) - cores.get("broker", 0.0), 0.0)


def summarize(runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    out = {}
    for key, results in runs.items():
        rates = [r["events_per_s"] for r in results]
        if not rates:
            continue
        out[key] = {
            "label": CONTENDERS[key].label,
            "median_events_per_s": statistics.median(rates),
            "min_events_per_s": min(rates),
            "max_events_per_s": max(rates),
            "median_span_s": statistics.median(r["span_s"] for r in results),
            "median_startup_s": statistics.median(r["startup_s"] for r in results),
            "median_cpu_cores": {
                name: statistics.median(r["cpu_cores"].get(name, 0.0) for r in results)
                for name in results[0]["cpu_cores"]
            },
            "median_other_cores": statistics.median(_other_cores(r) for r in results),
            "runs": len(rates),
        }
    return out


def ratios(summary: dict[str, dict[str, Any]]) -> dict[str, float]:
    out = {}
    for other in ("b", "c", "a"):
        if "d" in summary and other in summary:
            out[f"d/{other}"] = (
                summary["d"]["median_events_per_s"] / summary[other]["median_events_per_s"]
            )
    for other in ("b", "c", "a"):
        if "g" in summary and other in summary:
            out[f"g/{other}"] = (
                summary["g"]["median_events_per_s"] / summary[other]["median_events_per_s"]
            )
    if "f" in summary and "d" in summary:  # the window's cost (issue target: >= 0.70)
        out["f/d"] = summary["f"]["median_events_per_s"] / summary["d"]["median_events_per_s"]
    return out


def format_table(summary: dict[str, dict[str, Any]], rat: dict[str, float]) -> str:
    lines = [
        f"{'':4}{'contender':35}{'events/s (median)':>18}{'min':>10}{'max':>10}"
        f"{'span s':>9}{'startup s':>10}{'CPU':>6}{'other':>7}",
    ]
    for key, s in summary.items():
        lines.append(
            f"({key}) {s['label']:35}{s['median_events_per_s']:>18,.0f}"
            f"{s['min_events_per_s']:>10,.0f}{s['max_events_per_s']:>10,.0f}"
            f"{s['median_span_s']:>9.2f}{s['median_startup_s']:>10.1f}"
            f"{s['median_cpu_cores'].get('contender', 0.0):>6.2f}{s['median_other_cores']:>7.2f}"
        )
    lines.append(
        "CPU: cores the contender used while outputs flowed; other: cores used by anything "
        "but the contender and the broker (load from outside the benchmark)"
    )
    if rat:
        lines.append("")
        for name, value in rat.items():
            target = TARGETS.get(name)
            verdict = ""
            if target is not None:
                verdict = f"  (target >= {target:g}: {'met' if value >= target else 'NOT met'})"
            lines.append(f"{name} = {value:.2f}{verdict}")
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_info()
    print(
        f"machine: {machine['nproc']} CPUs, {machine['cpu']}, "
        f"{machine['memory_gb']} GB, Python {machine['python']}",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="stream-engine-bench-"))
    broker = None
    try:
        given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if given:
            bootstrap = given
            pid = os.environ.get("BENCH_BROKER_PID")  # a broker on this machine: count its CPU
            broker_pid = int(pid) if pid else None
        else:
            from stream_engine.devbroker import LocalBroker

            broker = LocalBroker(home=workdir / "broker")
            print("starting the local Kafka broker ...", flush=True)
            info = broker.start(timeout_s=180)
            bootstrap, broker_pid = info.bootstrap, info.pid
        return _bench(args, machine, bootstrap, workdir, broker_pid)
    finally:
        if broker is not None:
            broker.stop()
        if args.keep:
            print(f"work dir kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _bench(
    args: argparse.Namespace,
    machine: dict[str, Any],
    bootstrap: str,
    workdir: Path,
    broker_pid: int | None,
) -> int:
    settings = Settings(kafka_bootstrap_servers=bootstrap)
    admin = wait_for_cluster(settings)
    bench_id = new_run_id()
    input_topic, ref_topic = f"bench-in-{bench_id}", f"bench-ref-{bench_id}"
    ensure_topics(
        admin,
        [
            TopicRequest(input_topic, args.partitions, 1),
            TopicRequest(ref_topic, 1, 1, {"cleanup.policy": "compact"}),
        ],
    )
    work = Workload(args.events, bad_ratio=args.bad_ratio)
    began = time.monotonic()
    fill_reference(settings, work, ref_topic)
    expected = fill_input(settings, work, input_topic)
    print(
        f"input: {expected.events:,} events (avg {expected.avg_bytes:.0f} B, "
        f"{expected.bad:,} undecodable, {expected.passed:,} pass the filter) on "
        f"{args.partitions} partitions of {input_topic}; reference: {work.users:,} rows; "
        f"produced in {time.monotonic() - began:.1f}s",
        flush=True,
    )
    ctx = Context(
        bootstrap=bootstrap,
        workdir=workdir,
        input_topic=input_topic,
        reference_topic=ref_topic,
        partitions=args.partitions,
        expected=expected,
        batch_size=args.batch_size,
        batch_wait_ms=args.batch_wait_ms,
        take_size=args.take_size,
        faust_linger_ms=args.faust_linger_ms,
    )
    watcher = Watcher(settings)
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in args.keys}
    failures: list[str] = []
    try:
        for round_no in range(1, args.runs + 1):
            for key in args.keys:
                contender = CONTENDERS[key]
                launch = contender.launch(ctx, new_run_id())
                if args.profile is not None:
                    args.profile.mkdir(parents=True, exist_ok=True)
                    out = args.profile.resolve() / f"{key}-{round_no}-{args.profiler}.txt"
                    launch = profiled(launch, out, args.profiler)
                try:
                    result = measure_once(
                        key, launch, admin, watcher, workdir, args.events, broker_pid
                    )
                except ContenderFailed as exc:
                    failures.append(str(exc))
                    print(f"run {round_no} ({key}) FAILED: {exc}", flush=True)
                    continue
                runs[key].append(result)
                print(f"run {round_no} ({key}) {contender.label}: {_line(result)}", flush=True)
    finally:
        watcher.close()
        delete_topics(admin, [input_topic, ref_topic])
    summary = summarize(runs)
    rat = ratios(summary)
    print()
    print(format_table(summary, rat))
    doc = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "code": code_version(),
        "config": {
            "events": args.events,
            "partitions": args.partitions,
            "runs": args.runs,
            "contenders": args.keys,
            "batch_size": args.batch_size,
            "batch_wait_ms": args.batch_wait_ms,
            "take_size": args.take_size,
            "faust_linger_ms": args.faust_linger_ms,
            "bad_ratio": args.bad_ratio,
            "reference_rows": work.users,
            "broker": "local" if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS") else "external",
        },
        "input": asdict(expected),
        "method": (
            "events/s = input events / (last - first broker LogAppendTime over all output "
            "topics of the contender); startup excluded and reported separately"
        ),
        "contenders": {k: CONTENDERS[k].describe for k in args.keys},
        "summary": summary,
        "ratios": rat,
        "targets": TARGETS,
        "runs": runs,
        "failures": failures,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\nresults written to {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
