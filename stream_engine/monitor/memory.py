"""Process memory without extra dependencies: current RSS from /proc, peak from getrusage."""

from __future__ import annotations

import os
import resource
import sys


def rss_bytes() -> float:
    """Resident set size now; the peak where /proc is unavailable (not Linux)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            pages = int(f.read().split()[1])
        return float(pages * os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, IndexError):
        return peak_rss_bytes()


def peak_rss_bytes() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return float(peak if sys.platform == "darwin" else peak * 1024)  # macOS: bytes; Linux: KiB
