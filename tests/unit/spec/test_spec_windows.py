"""The windows section: shapes, aggregations, and the key that must be the partition key."""

from pathlib import Path

import pytest
import yaml

from stream_engine.spec import parse_pipeline
from stream_engine.spec.errors import PipelineFileError

HEAD = "pipeline: clickstream\nversion: 1\n"
SOURCES = "sources:\n  page_views: {topic: page-views, key: user_id}\n"
SINKS = "sinks:\n  enriched: {topic: page-views-enriched}\n"
W = "windows:\n  views_5m:\n    "
OK = "key: user_id, aggregate: {n: count}, sink: {topic: w}"

CASES = {
    "incomplete": (
        W + "type: tumbling\n",
        [
            "windows.views_5m.aggregate: field required",
            "windows.views_5m.key: field required",
            "windows.views_5m.sink: field required",
        ],
    ),
    "hopping without advance": (
        W + f"{{type: hopping, size: 5m, {OK}}}\n",
        ["windows.views_5m: a hopping window needs advance (a duration such as 5m)"],
    ),
    "advance larger than size": (
        W + f"{{type: hopping, size: 5m, advance: 10m, {OK}}}\n",
        ["windows.views_5m: advance must not be larger than size"],
    ),
    "gap on a tumbling window": (
        W + f"{{type: tumbling, size: 5m, gap: 1m, {OK}}}\n",
        ["windows.views_5m: gap is not used by a tumbling window"],
    ),
    "key is not the message key": (
        W + "{type: session, gap: 5m, key: country, aggregate: {n: count}, sink: {topic: w}}\n",
        [
            "windows.views_5m.key: window key 'country' is not the message key of source "
            "'page_views' (its key is 'user_id'); windows are computed per partition, so key the "
            "source by that field (sources.page_views.key: country) and produce its records "
            "with that key"
        ],
    ),
    "sum without a field": (
        W + "{type: tumbling, size: 5m, key: user_id, aggregate: {n: {sum: null}}, "
        "sink: {topic: w}}\n",
        ["windows.views_5m.aggregate.n: sum needs a field, e.g. {sum: amount}"],
    ),
    "collect without a bound": (
        W + "{type: tumbling, size: 5m, key: user_id, aggregate: {u: {collect: url}}, "
        "sink: {topic: w}}\n",
        [
            "windows.views_5m.aggregate.u: collect needs max_items "
            "(a bound on the list kept per window)"
        ],
    ),
    "two functions": (
        W + "{type: tumbling, size: 5m, key: user_id, aggregate: {u: {sum: a, max: b}}, "
        "sink: {topic: w}}\n",
        [
            "windows.views_5m.aggregate.u: expected exactly one function among count, sum, "
            "min, max, mean, first, last, count_distinct, collect, custom, got: sum, max"
        ],
    ),
    "custom without an import path": (
        W + "{type: tumbling, size: 5m, key: user_id, aggregate: {u: {custom: nope, field: a}}, "
        "sink: {topic: w}}\n",
        ["windows.views_5m.aggregate.u: custom needs an import path such as mypkg.aggs:P95"],
    ),
    "reserved output name": (
        W + "{type: tumbling, size: 5m, key: user_id, aggregate: {count: count}, "
        "sink: {topic: w}}\n",
        ["windows.views_5m.aggregate: count is a reserved name in window results"],
    ),
    "result topic is a source": (
        W + "{type: tumbling, size: 5m, key: user_id, aggregate: {n: count}, "
        "sink: {topic: page-views}}\n",
        [
            "windows.views_5m.sink.topic: topic 'page-views' is read by the pipeline; "
            "a window must not write to it"
        ],
    ),
    "unknown emit mode": (
        W + f"{{type: tumbling, size: 5m, emit: sometimes, {OK}}}\n",
        ["windows.views_5m.emit: expected one of final, update, got 'sometimes'"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_windows(case: str) -> None:
    body, expected = CASES[case]
    with pytest.raises(PipelineFileError) as err:
        parse_pipeline(yaml.safe_load(HEAD + SOURCES + SINKS + body), "pipeline.yaml", Path("."))
    assert err.value.errors == [f"pipeline.yaml: {line}" for line in expected]


def test_good_window_normalises_aggregations_and_topics() -> None:
    body = (
        W + "type: hopping\n    size: 10m\n    advance: 5m\n    grace: 30s\n    key: user_id\n"
        "    aggregate: {views: count, secs: {sum: duration_s},"
        " pages: {collect: url, max_items: 3}, p: {custom: 'mypkg.aggs:P95', field: duration_s}}\n"
        "    emit: update\n    late: {topic: late-views}\n    sink: {topic: views-10m}\n"
    )
    spec = parse_pipeline(yaml.safe_load(HEAD + SOURCES + SINKS + body), "p.yaml", Path("."))
    window = spec.windows["views_5m"]
    assert window.horizon_ms() == 10 * 60_000 + 30_000
    aggs = {k: (a.function, a.field, a.max_items, a.path) for k, a in window.aggregate.items()}
    assert aggs == {
        "views": ("count", None, None, None),
        "secs": ("sum", "duration_s", None, None),
        "pages": ("collect", "url", 3, None),
        "p": ("custom", "duration_s", None, "mypkg.aggs:P95"),
    }
    assert spec.window_source("views_5m") == "page_views"
    created = {t.name: dict(t.config) for t in spec.topics_to_create()}
    assert created["views-10m"] == {"cleanup.policy": "compact"}
    assert created["late-views"]["cleanup.policy"] == "delete"
    assert spec.changelog_topic("views_5m") == "stream-engine.clickstream.v1.views_5m.changelog"
