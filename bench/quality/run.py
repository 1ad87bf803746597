"""`python -m bench.quality.run`: stream-engine vs pandera vs Great Expectations, one run.

Each tool validates the same generated Parquet file with the same checks (schema/types,
nulls, uniqueness, range, allowed values, regex, a cross-column expression), each in its
own process and virtual environment (bench/quality/envs.py). Rounds are interleaved so
drift of the machine falls on every tool alike; the median per tool is reported.
The run fails (exit 1) when any tool's failing counts differ from the brute-force truth
written by the generator. See docs/benchmarks.md, section "Offline validation".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.quality import envs
from bench.quality.generate import write

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
DEFAULT_OUT = ROOT / "bench" / "results" / "quality.json"
TOOLS = ("stream-engine", "pandera", "great_expectations")
TARGETS = {"stream-engine/great_expectations": 5.0, "stream-engine/pandera": 1.0}
# The two conventions of counting duplicates: every row of a repeated key (pandera, GX)
# or the repeats after the first occurrence (stream-engine's duplicate count).
UNIQUE_NAMES = ("unique_event_id_rows", "unique_event_id_repeats")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.quality.run", description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000, help="rows of the file (default 1M)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median reported)")
    p.add_argument("--only", default=",".join(TOOLS), help="tools to run, comma-separated")
    p.add_argument("--data", type=Path, default=envs.cache_dir().parent / "quality-data",
                   help="folder of the generated file (kept between runs)")  # fmt: skip
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    return p.parse_args(argv)


def command(tool: str, data: Path) -> list[str]:
    """One process: load the file, validate once to warm up, then once timed."""
    if tool == "stream-engine":
        return [sys.executable, "-m", "bench.quality.run_engine", str(data), "2"]
    script = HERE / ("run_pandera.py" if tool == "pandera" else "run_gx.py")
    return [str(envs.ensure_env(tool)), str(script), str(data), "2"]


def run_once(tool: str, data: Path) -> dict[str, Any]:
    done = subprocess.run(
        command(tool, data), cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{tool} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def check_verdicts(expected: dict[str, int], failing: dict[str, int]) -> list[str]:
    """Differences between a tool's failing counts and the truth (empty when identical)."""
    problems = []
    names = set(expected) | set(failing)
    for name in sorted(names):
        if name in UNIQUE_NAMES and name not in failing:
            continue  # the tool counts duplicates the other way
        want = expected.get(name)
        got = failing.get(name, 0)
        if want != got:
            problems.append(f"{name}: expected {want}, got {got}")
    if not any(n in failing for n in UNIQUE_NAMES):
        problems.append("no uniqueness verdict")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tools = [t for t in args.only.split(",") if t]
    data = args.data / f"events-{args.rows}.parquet"
    info = write(data, args.rows)
    expected: dict[str, int] = info["expected"]
    for tool in tools:
        if tool != "stream-engine":
            envs.ensure_env(tool)
    runs: dict[str, list[dict[str, Any]]] = {t: [] for t in tools}
    for round_no in range(1, args.rounds + 1):
        for tool in tools:
            result = run_once(tool, data)
            runs[tool].append(result)
            print(f"round {round_no} {tool}: {result['seconds'][-1]:.3f} s", file=sys.stderr)
    summary: dict[str, Any] = {}
    verdict_problems: dict[str, list[str]] = {}
    for tool in tools:
        timed = [r["seconds"][-1] for r in runs[tool]]
        median = statistics.median(timed)
        summary[tool] = {
            "version": runs[tool][0]["version"],
            "median_s": round(median, 4),
            "min_s": round(min(timed), 4),
            "max_s": round(max(timed), 4),
            "rows_per_s": round(args.rows / median),
            "cpu_s": round(statistics.median(r["cpu_seconds"][-1] for r in runs[tool]), 4),
            "load_s": round(statistics.median(r["load_s"] for r in runs[tool]), 4),
            "failing": runs[tool][-1]["failing"],
        }
        verdict_problems[tool] = check_verdicts(expected, runs[tool][-1]["failing"])
    ratios, cpu_ratios = {}, {}
    for name in TARGETS:
        ours, theirs = name.split("/")
        if ours in summary and theirs in summary:
            ratios[name] = round(summary[theirs]["median_s"] / summary[ours]["median_s"], 2)
            cpu_ratios[name] = round(summary[theirs]["cpu_s"] / summary[ours]["cpu_s"], 2)
    document = {
        "benchmark": "quality",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "rows": args.rows,
        "columns": 10,
        "rounds": args.rounds,
        "expected_failing": expected,
        "tools": summary,
        "ratios": ratios,
        "cpu_ratios": cpu_ratios,
        "targets": TARGETS,
        "verdicts_identical": not any(verdict_problems.values()),
        "verdict_problems": verdict_problems,
        "commit": _commit(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    _print(document)
    return 0 if document["verdicts_identical"] else 1


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    return done.stdout.strip()


def _print(doc: dict[str, Any]) -> None:
    print(f"{doc['rows']:,} rows x {doc['columns']} columns, {doc['rounds']} rounds (median)")
    print(f"{'tool':<20}{'version':>10}{'median s':>11}{'rows/s':>14}{'CPU s':>8}{'load s':>9}")
    for tool, s in doc["tools"].items():
        print(
            f"{tool:<20}{s['version']:>10}{s['median_s']:>11.3f}{s['rows_per_s']:>14,}"
            f"{s['cpu_s']:>8.3f}{s['load_s']:>9.3f}"
        )
    for name, value in doc["ratios"].items():
        target = doc["targets"][name]
        state = "met" if value >= target else "NOT MET"
        cpu = doc["cpu_ratios"][name]
        print(f"speed-up {name}: {value:.2f}x (target >= {target:g}x: {state}); CPU {cpu:.2f}x")
    if doc["verdicts_identical"]:
        print("verdicts: identical failing counts for every check, equal to the generator's")
    else:
        for tool, problems in doc["verdict_problems"].items():
            for problem in problems:
                print(f"verdict mismatch, {tool}: {problem}")


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
    sys.exit(code)
