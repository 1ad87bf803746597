"""Event-time windows: definitions, aggregations, and the per-partition operator."""

from stream_engine.windows.aggregators import Aggregator
from stream_engine.windows.definitions import WindowDef
from stream_engine.windows.engine import EmitMode, WindowOperator
from stream_engine.windows.errors import WindowValueError
from stream_engine.windows.plan import AggregationPlan, AggSpec
from stream_engine.windows.results import WindowInput, WindowOutput, WindowResult
from stream_engine.windows.state import KeyState, PartitionState, WindowState

__all__ = [
    "AggSpec",
    "AggregationPlan",
    "Aggregator",
    "EmitMode",
    "KeyState",
    "PartitionState",
    "WindowDef",
    "WindowInput",
    "WindowOperator",
    "WindowOutput",
    "WindowResult",
    "WindowState",
    "WindowValueError",
]
