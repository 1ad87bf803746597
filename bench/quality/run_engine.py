"""Validate the benchmark file with stream-engine's engine (the project's environment).

`python -m bench.quality.run_engine DATA.parquet RUNS` prints one JSON line like the other
runners. Rule ids in rules.yaml are the verdict names; `types.*` rules add up to `types`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from stream_engine import __version__
from stream_engine.quality.engine import evaluate_dataset
from stream_engine.quality.loader import load_rules

RULES = Path(__file__).with_name("rules.yaml")


def failing_counts(results: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        name = "types" if result.rule.startswith("types.") else result.rule
        counts[name] = counts.get(name, 0) + result.failing
    return counts


def main(path: str, runs: int) -> dict[str, Any]:
    loading = time.perf_counter()
    frame = pd.read_parquet(path)
    load_s = time.perf_counter() - loading
    table = load_rules(RULES).tables["events"]
    seconds = []
    cpu = []
    counts: dict[str, int] = {}
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        results = evaluate_dataset(frame, table)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        counts = failing_counts(results)
    return {
        "tool": "stream-engine",
        "version": __version__,
        "load_s": load_s,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "failing": counts,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
