"""What every source hands to validation: the whole dataset as one frame, and its name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Dataset:
    """A dataset read in full.

    `name` is what the rules table defaults to (a file's stem, a table or topic name);
    `label` says where the data came from in reports (never with a password).
    `origins`, when set, holds one label per row (a topic's `partition:offset`) so a failing
    row can be found again at its source; `problems` lists rows that could not become part
    of the frame at all (undecodable messages), each `{origin, message}`, the first
    MAX_PROBLEMS of `problem_count`.
    """

    frame: pd.DataFrame
    name: str
    label: str
    origins: list[str] | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    problem_count: int = 0
