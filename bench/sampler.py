"""A tiny wall-clock stack sampler for every thread: `python -m bench.sampler MODULE ARGS...`.

py-spy is not always available, and cProfile/pyinstrument see only one thread, while the
stream-engine worker processes batches in a worker thread beside Faust's event loop. This
samples `sys._current_frames()` every SAMPLE_INTERVAL seconds (default 2 ms) and writes,
when the module returns or exits, the most frequent leaf frames and the inclusive time per
function to SAMPLE_OUT. Samples of threads idle in a wait are counted under "idle".
`python -m bench.run --profile DIR` runs every contender this way.

Sampling costs the profiled process some throughput: use it to find hot spots, never for
the figures.
"""

from __future__ import annotations

import collections
import os
import re
import runpy
import sys
import threading
from pathlib import Path
from types import FrameType

INTERVAL = float(os.environ.get("SAMPLE_INTERVAL", "0.002"))
OUT = os.environ.get("SAMPLE_OUT", "samples.txt")

# Leaf functions meaning "this thread is waiting, not working".
IDLE = {"select", "poll", "wait", "_worker", "sleep", "accept", "flush", "consume", "_follow"}


class Sampler:
    def __init__(self) -> None:
        self.leaf: collections.Counter[str] = collections.Counter()
        self.inclusive: collections.Counter[str] = collections.Counter()
        self.threads: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sampler", daemon=True)
        self._dumped = False
        self.cpu: dict[str, float] = {}  # last CPU seconds seen per OS thread

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        me = threading.get_ident()
        names: dict[int | None, str] = {}
        while not self._stop.wait(INTERVAL):
            frames = sys._current_frames()
            if len(names) != len(frames):
                names = {t.ident: t.name for t in threading.enumerate()}
            for tid, frame in frames.items():
                if tid != me:
                    self._record(names.get(tid, str(tid)), frame)
            self.samples += 1
            if self.samples % 100 == 0:  # threads that exit before the dump keep their figure
                self.cpu.update(thread_cpu())

    def _record(self, thread: str, frame: FrameType) -> None:
        code = frame.f_code
        leaf = f"{_where(code.co_filename)}:{code.co_name}:{frame.f_lineno}"
        if code.co_name in IDLE:
            self.threads[f"{thread} (idle)"] += 1
            return
        self.threads[thread] += 1
        self.leaf[leaf] += 1
        seen = set()
        f: FrameType | None = frame
        while f is not None:
            key = f"{_where(f.f_code.co_filename)}:{f.f_code.co_name}"
            if key not in seen:
                seen.add(key)
                self.inclusive[key] += 1
            f = f.f_back

    def dump(self) -> None:
        if self._dumped:
            return
        self._dumped = True
        self._stop.set()
        busy = sum(self.leaf.values()) or 1
        lines = [f"samples: {self.samples} every {INTERVAL * 1000:g} ms", ""]
        lines += ["== CPU seconds by OS thread (librdkafka threads are rdk:*) =="]
        self.cpu.update(thread_cpu())
        lines += [
            f"{cpu:8.2f}  {name}" for name, cpu in sorted(self.cpu.items(), key=lambda kv: -kv[1])
        ]
        lines += ["", "== samples by Python thread =="]
        lines += [f"{n:8d}  {name}" for name, n in self.threads.most_common()]
        lines += ["", "== busy leaf frames (share of busy samples) =="]
        lines += [f"{n / busy:7.1%}  {k}" for k, n in self.leaf.most_common(60)]
        lines += ["", "== inclusive, by function (share of busy samples) =="]
        lines += [f"{n / busy:7.1%}  {k}" for k, n in self.inclusive.most_common(150)]
        with open(OUT, "w") as fh:
            fh.write("\n".join(lines) + "\n")


def thread_cpu() -> dict[str, float]:
    """CPU seconds of every OS thread of this process, by thread name (Linux only)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return {}
    for tid in tids:
        try:
            stat = Path(f"/proc/self/task/{tid}/stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / ticks
        out[f"{names.get(int(tid), comm)} [{comm} {tid}]"] = cpu
    return out


def _where(filename: str) -> str:
    """A short file name: relative to site-packages, the stdlib, or the repository."""
    return _PREFIX.sub("", filename)


_PREFIX = re.compile(
    r"^.*/(site-packages|lib/python3\.\d+)/|^"
    + re.escape(str(Path(__file__).resolve().parent.parent) + "/")
)


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit("usage: python -m bench.sampler MODULE [ARGS...]")
    sampler = Sampler()
    sampler.start()
    module = sys.argv[1]
    sys.argv = sys.argv[1:]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        sampler.dump()


if __name__ == "__main__":
    main()
