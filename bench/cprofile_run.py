"""`python -m bench.cprofile_run MODULE ARGS...`: run a module under cProfile, main thread only.

cProfile sees only the thread that enabled it; for the Faust-based contenders that is the
event loop thread (Faust's consumer thread and stream-engine's batch thread are not seen).
Writes the top functions by own time and by cumulative time to SAMPLE_OUT when the module
returns. `python -m bench.run --profile DIR --profiler cprofile` runs every contender so.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import runpy
import sys


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit("usage: python -m bench.cprofile_run MODULE [ARGS...]")
    module = sys.argv[1]
    sys.argv = sys.argv[1:]
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        profiler.disable()
        with open(os.environ.get("SAMPLE_OUT", "cprofile.txt"), "w") as out:
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(50)
            stats.sort_stats("cumtime").print_stats(80)


if __name__ == "__main__":
    main()
