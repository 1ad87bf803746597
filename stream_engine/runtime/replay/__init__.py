"""Bounded runs of a pipeline over a topic range or files (DESIGN.md section 2, Kappa)."""

from stream_engine.runtime.replay.service import (
    ReplayOptions,
    ReplayOutcome,
    new_run_id,
    run_replay,
)
from stream_engine.runtime.replay.summary import ReplaySummary

__all__ = ["ReplayOptions", "ReplayOutcome", "ReplaySummary", "new_run_id", "run_replay"]
