"""Performance analysis of worker run logs and generic task logs (text, JSON, HTML)."""

from stream_engine.analyzer.loading import load_input
from stream_engine.analyzer.run_report import RunReport, analyze_run
from stream_engine.analyzer.task_report import TaskReport, analyze_tasks

__all__ = ["RunReport", "TaskReport", "analyze_run", "analyze_tasks", "load_input"]
