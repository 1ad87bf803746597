"""A self-contained HTML report: the text report's content plus inline SVG charts."""

from __future__ import annotations

from html import escape

from stream_engine.analyzer.run_report import RunReport
from stream_engine.analyzer.svg import bar_chart, gantt, line_chart
from stream_engine.analyzer.task_report import TaskReport
from stream_engine.analyzer.text import run_text, task_text

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;color:#222}"
    "pre{background:#f6f6f6;padding:1em;overflow-x:auto}h2{margin-top:1.5em}"
    "li p{margin:.2em 0 .8em 0;color:#444}"
)


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>{body}</body></html>\n"
    )


def run_html(r: RunReport) -> str:
    charts = [
        "<h2>Throughput</h2>",
        line_chart(r.throughput_series, "records in per second", "seconds since start"),
    ]
    if r.lag is not None:
        lag_points = [(x, float(y)) for x, y in r.lag.series]
        charts += ["<h2>Lag</h2>", line_chart(lag_points, "lag (messages)", "seconds since start")]
    charts += [
        "<h2>Step shares</h2>",
        bar_chart([(s.step, s.share) for s in r.steps], "share of step time", r.bottleneck),
        "<h2>Recommendations</h2><ol>",
        *(
            f"<li><b>{escape(x.title)}</b><p>{escape(x.reasoning)}</p></li>"
            for x in r.recommendations
        ),
        "</ol><h2>Details</h2>",
        f"<pre>{escape(run_text(r))}</pre>",
    ]
    return _page(f"Run report: {r.pipeline}", "".join(charts))


def task_html(r: TaskReport) -> str:
    body = [
        "<h2>Timeline</h2>",
        gantt(r.timeline, "tasks", set(r.critical_path)),
        "<h2>Slowest tasks</h2>",
        bar_chart([(t.name, t.share) for t in r.slowest], "share of summed task time"),
        "<h2>Details</h2>",
        f"<pre>{escape(task_text(r))}</pre>",
    ]
    return _page(f"Task report: {r.tasks} tasks", "".join(body))
