"""The records still in flight through a batch, as parallel lists, plus their failures."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stream_engine.topology.batch import Record, dead_letter_for
from stream_engine.topology.result import BatchResult


@dataclass
class WorkingSet:
    records: list[Record]
    values: list[dict[str, Any]]
    result: BatchResult

    def __len__(self) -> int:
        return len(self.records)

    def column(self, name: str) -> list[Any]:
        return [v.get(name) for v in self.values]

    def dead_letter(
        self, failures: Mapping[int, str], *, reason: str, stage: str, rule: str = ""
    ) -> None:
        """Move the failed positions out of the working set into dead letters."""
        if not failures:
            return
        out = self.result.dead_letters
        for pos, message in failures.items():
            out.append(
                dead_letter_for(
                    self.records[pos], reason=reason, stage=stage, message=message, rule=rule
                )
            )
        self.result.counters.dead[(stage, reason)] += len(failures)
        self.keep_positions(i for i in range(len(self.records)) if i not in failures)

    def keep_positions(self, positions: Iterable[int]) -> None:
        keep = list(positions)
        if len(keep) == len(self.records):
            return
        self.records = [self.records[i] for i in keep]
        self.values = [self.values[i] for i in keep]
