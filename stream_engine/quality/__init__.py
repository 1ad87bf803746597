"""Data quality: rules files, vectorized checks, results (see docs/quality.md)."""

from stream_engine.quality.engine import (
    RecordFailures,
    evaluate_dataset,
    evaluate_records,
)
from stream_engine.quality.loader import load_rules, parse_rules
from stream_engine.quality.results import CheckResult, DatasetSummary, summarize
from stream_engine.quality.rules import RulesFile, TableRules

__all__ = [
    "CheckResult",
    "DatasetSummary",
    "RecordFailures",
    "RulesFile",
    "TableRules",
    "evaluate_dataset",
    "evaluate_records",
    "load_rules",
    "parse_rules",
    "summarize",
]
