"""Worker metrics (Prometheus) and the HTTP endpoints that serve them."""

from stream_engine.monitor.http import MetricsServer
from stream_engine.monitor.metrics import PipelineMetrics

__all__ = ["MetricsServer", "PipelineMetrics"]
