"""The topology: plain Python over micro-batches, no faust, no network."""

from stream_engine.topology.batch import MicroBatch, Record
from stream_engine.topology.reference import ReferenceTable
from stream_engine.topology.result import BatchCounters, BatchResult, SinkRecord
from stream_engine.topology.topology import Topology

__all__ = [
    "BatchCounters",
    "BatchResult",
    "MicroBatch",
    "Record",
    "ReferenceTable",
    "SinkRecord",
    "Topology",
]
