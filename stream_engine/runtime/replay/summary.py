"""What a replay did: records read, outputs per sink, dead letters by reason, speed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReplaySummary:
    run_id: str
    pipeline: str
    range_from: str
    range_to: str
    target: str
    records_read: int = 0  # every record read, warm-up included
    warmup_records: int = 0  # read before --from: they feed windows, emit nothing of their own
    emitted: Counter[str] = field(default_factory=Counter)  # by sink (window name for windows)
    dead_letters: Counter[str] = field(default_factory=Counter)  # by reason
    flushed_windows: int = 0  # window results emitted by the end-of-run flush
    duration_s: float = 0.0
    destinations: dict[str, str] = field(default_factory=dict)
    plan: dict[str, Any] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def records_in_range(self) -> int:
        return self.records_read - self.warmup_records

    @property
    def throughput(self) -> float:
        return self.records_read / self.duration_s if self.duration_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "pipeline": self.pipeline,
            "from": self.range_from,
            "to": self.range_to,
            "target": self.target,
            "dry_run": self.dry_run,
            "records_read": self.records_read,
            "warmup_records": self.warmup_records,
            "records_in_range": self.records_in_range,
            "emitted": dict(sorted(self.emitted.items())),
            "dead_letters": dict(sorted(self.dead_letters.items())),
            "flushed_windows": self.flushed_windows,
            "duration_s": round(self.duration_s, 3),
            "records_per_s": round(self.throughput, 1),
            "destinations": self.destinations,
            "plan": self.plan,
        }

    def render(self) -> str:
        lines = [
            f"replay {self.run_id} of {self.pipeline}: {self.range_from} .. {self.range_to} "
            f"-> {self.target}" + (" (dry run: nothing written)" if self.dry_run else ""),
            f"  records read      {self.records_read:,} "
            f"({self.warmup_records:,} warm-up, {self.records_in_range:,} in range)",
        ]
        width = max((len(s) for s in self.emitted), default=0)
        for sink, count in sorted(self.emitted.items()):
            where = self.destinations.get(sink, "")
            lines.append(
                f"  emitted {sink:<{width}}  {count:>9,}" + (f"  -> {where}" if where else "")
            )
        if not self.emitted:
            lines.append("  emitted           0")
        dead = sum(self.dead_letters.values())
        reasons = ", ".join(f"{r} {n:,}" for r, n in sorted(self.dead_letters.items()))
        lines.append(f"  dead letters      {dead:,}" + (f" ({reasons})" if reasons else ""))
        if self.flushed_windows:
            lines.append(f"  flushed windows   {self.flushed_windows:,} (still open at the end)")
        lines.append(
            f"  duration          {self.duration_s:.2f}s ({self.throughput:,.0f} records/s)"
        )
        return "\n".join(lines)
