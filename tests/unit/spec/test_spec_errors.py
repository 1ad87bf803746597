"""Bad pipeline files, each with the exact lines `stream-engine check` prints."""

from pathlib import Path

import pytest

from stream_engine.spec import PipelineFileError, load_pipeline

HEAD = "pipeline: clickstream\nversion: 1\n"
SOURCES = "sources:\n  page_views: {topic: page-views}\n"
SINKS = "sinks:\n  enriched: {topic: page-views-enriched}\n"
USERS = "reference:\n  users: {topic: users, key: user_id}\n"
SOURCE_KEYS = "topic, format, schema, wire_format, schema_dir, key, event_time"
SINK_KEYS = "topic, format, schema, key, fields, partitions, replication, retention"
TOP_KEYS = (
    "pipeline, version, description, defaults, worker, sources, reference, steps, sinks, "
    "windows, dead_letter, metrics, replays"
)
DURATION_HINT = "a whole number followed by a unit: ms, s, m, h or d (e.g. 500ms, 30s, 5m, 2h, 7d)"


def steps(*items: str) -> str:
    return HEAD + SOURCES + USERS + SINKS + "steps:\n" + "".join(f"  - {i}\n" for i in items)


CASES: dict[str, tuple[str, list[str]]] = {
    "missing required keys": (
        "description: x\n",
        [
            "pipeline: field required",
            "sinks: field required",
            "sources: field required",
            "version: field required",
        ],
    ),
    "bad pipeline name": (
        "pipeline: Click Stream\nversion: 1\n" + SOURCES + SINKS,
        [
            "pipeline: invalid pipeline name 'Click Stream': use lowercase letters, digits, "
            "'-', '_' and '.', starting with a letter or digit, at most 100 characters"
        ],
    ),
    "pipeline name too long": (
        f"pipeline: {'a' * 101}\nversion: 1\n" + SOURCES + SINKS,
        [
            f"pipeline: invalid pipeline name '{'a' * 101}': use lowercase letters, digits, "
            "'-', '_' and '.', starting with a letter or digit, at most 100 characters"
        ],
    ),
    "version zero": (
        "pipeline: c\nversion: 0\n" + SOURCES + SINKS,
        ["version: expected at least 1, got 0"],
    ),
    "version not a number": (
        "pipeline: c\nversion: one\n" + SOURCES + SINKS,
        ["version: expected an integer, got 'one'"],
    ),
    "version boolean": (
        "pipeline: c\nversion: true\n" + SOURCES + SINKS,
        ["version: expected an integer, got true"],
    ),
    "version fraction": (
        "pipeline: c\nversion: 1.5\n" + SOURCES + SINKS,
        ["version: expected an integer, got 1.5"],
    ),
    "unknown top-level key with suggestion": (
        HEAD + SOURCES + SINKS + "sink: {}\n",
        [f"sink: unknown key, did you mean 'sinks'? (allowed: {TOP_KEYS})"],
    ),
    "description not text": (
        HEAD + SOURCES + SINKS + "description: 2024\n",
        ["description: expected a string, got 2024 (put it in quotes to use it as text)"],
    ),
    "sources empty": (
        HEAD + "sources: {}\n" + SINKS,
        ["sources: expected at least one source"],
    ),
    "sources null": (
        HEAD + "sources:\n" + SINKS,
        ["sources: expected a mapping, got an empty value"],
    ),
    "sources a list": (
        HEAD + "sources:\n  - {topic: a}\n" + SINKS,
        ["sources: expected a mapping, got a list"],
    ),
    "sinks empty": (
        HEAD + SOURCES + "sinks: {}\n",
        ["sinks: expected at least one sink"],
    ),
    "source given as a string": (
        HEAD + "sources:\n  page_views: page-views\n" + SINKS,
        ["sources.page_views: expected a mapping, got 'page-views'"],
    ),
    "source unknown key": (
        HEAD + "sources:\n  page_views: {topic: page-views, colour: red}\n" + SINKS,
        [f"sources.page_views.colour: unknown key (allowed: {SOURCE_KEYS})"],
    ),
    "source key typo": (
        HEAD + "sources:\n  page_views: {topc: page-views}\n" + SINKS,
        [
            f"sources.page_views.topc: unknown key, did you mean 'topic'? (allowed: {SOURCE_KEYS})",
            "sources.page_views.topic: field required",
        ],
    ),
    "bad source name": (
        HEAD + "sources:\n  PageViews: {topic: page-views}\n" + SINKS,
        [
            "sources.PageViews: invalid name 'PageViews': use lowercase letters, digits and '_', "
            "not starting with a digit, at most 100 characters"
        ],
    ),
    "bad format": (
        HEAD + "sources:\n  page_views: {topic: page-views, format: xml}\n" + SINKS,
        ["sources.page_views.format: expected one of json, avro, got 'xml'"],
    ),
    "bad topic name": (
        HEAD + "sources:\n  page_views: {topic: 'page views'}\n" + SINKS,
        [
            "sources.page_views.topic: invalid topic name 'page views': use 1 to 249 characters "
            "from a-z, A-Z, 0-9, '.', '_' and '-' (not '.' or '..')"
        ],
    ),
    "topic '..'": (
        HEAD + "sources:\n  page_views: {topic: '..'}\n" + SINKS,
        [
            "sources.page_views.topic: invalid topic name '..': use 1 to 249 characters "
            "from a-z, A-Z, 0-9, '.', '_' and '-' (not '.' or '..')"
        ],
    ),
    "numeric topic needs quotes": (
        HEAD + "sources:\n  page_views: {topic: 42}\n" + SINKS,
        [
            "sources.page_views.topic: expected a string, got 42 "
            "(put it in quotes to use it as text)"
        ],
    ),
    "bad field names": (
        HEAD + "sources:\n  page_views: {topic: t, key: user id, event_time: 1ts}\n" + SINKS,
        [
            "sources.page_views.event_time: invalid field name '1ts': use letters, digits and '_', "
            "not starting with a digit",
            "sources.page_views.key: invalid field name 'user id': use letters, digits and '_', "
            "not starting with a digit",
        ],
    ),
    "avro without schema": (
        HEAD + "sources:\n  page_views: {topic: t, format: avro}\n" + SINKS,
        ["sources.page_views.schema: required when format is avro (the path of an .avsc file)"],
    ),
    "schema with json": (
        HEAD + "sources:\n  page_views: {topic: t, schema: s.avsc}\n" + SINKS,
        ["sources.page_views.schema: only used with format: avro"],
    ),
    "schema file missing": (
        HEAD + "sources:\n  page_views: {topic: t, format: avro, schema: nope.avsc}\n" + SINKS,
        ["sources.page_views.schema: file not found: {dir}/nope.avsc"],
    ),
    "schema is a directory": (
        HEAD + "sources:\n  page_views: {topic: t, format: avro, schema: schemas}\n" + SINKS,
        ["sources.page_views.schema: {dir}/schemas is a directory, expected a file"],
    ),
    "wire format with json": (
        HEAD + "sources:\n  page_views: {topic: t, wire_format: true}\n" + SINKS,
        ["sources.page_views.wire_format: requires format: avro"],
    ),
    "wire format without schema_dir": (
        HEAD
        + "sources:\n  page_views: {topic: t, format: avro, schema: s.avsc, wire_format: true}\n"
        + SINKS,
        [
            "sources.page_views.schema_dir: required when wire_format is true "
            "(a directory with registry.yaml)"
        ],
    ),
    "schema_dir without wire format": (
        HEAD
        + "sources:\n  page_views: {topic: t, format: avro, schema: s.avsc, schema_dir: schemas}\n"
        + SINKS,
        ["sources.page_views.schema_dir: only used with wire_format: true"],
    ),
    "schema_dir missing": (
        HEAD + "sources:\n  page_views: {topic: t, format: avro, schema: s.avsc, wire_format: true,"
        " schema_dir: nope}\n" + SINKS,
        ["sources.page_views.schema_dir: directory not found: {dir}/nope"],
    ),
    "schema_dir without registry": (
        HEAD + "sources:\n  page_views: {topic: t, format: avro, schema: s.avsc, wire_format: true,"
        " schema_dir: empty}\n" + SINKS,
        ["sources.page_views.schema_dir: {dir}/empty has no registry.yaml"],
    ),
    "schema_dir is a file": (
        HEAD + "sources:\n  page_views: {topic: t, format: avro, schema: s.avsc, wire_format: true,"
        " schema_dir: s.avsc}\n" + SINKS,
        ["sources.page_views.schema_dir: {dir}/s.avsc is a file, expected a directory"],
    ),
    "wire_format not a boolean": (
        HEAD + "sources:\n  page_views: {topic: t, wire_format: maybe}\n" + SINKS,
        ["sources.page_views.wire_format: expected true or false, got 'maybe'"],
    ),
    "reference avro without schema": (
        HEAD + SOURCES + "reference:\n  users: {topic: users, format: avro}\n" + SINKS,
        ["reference.users.schema: required when format is avro (the path of an .avsc file)"],
    ),
    "reference unknown key": (
        HEAD + SOURCES + "reference:\n  users: {topic: users, on: id}\n" + SINKS,
        [
            "reference.users.on: unknown key (allowed: topic, format, schema, wire_format, "
            "schema_dir, key)"
        ],
    ),
    "reference null is no tables": (
        HEAD + SOURCES + "reference:\n" + SINKS + "steps:\n  - enrich: {table: users, on: id}\n",
        [
            "steps[0].enrich.table: unknown reference table 'users' "
            "(known: none; define them under reference)"
        ],
    ),
    "sink unknown key": (
        HEAD + SOURCES + "sinks:\n  enriched: {topic: out, partition: 3}\n",
        [
            "sinks.enriched.partition: unknown key, did you mean 'partitions'? "
            f"(allowed: {SINK_KEYS})"
        ],
    ),
    "sink avro without schema": (
        HEAD + SOURCES + "sinks:\n  enriched: {topic: out, format: avro}\n",
        ["sinks.enriched.schema: required when format is avro (the path of an .avsc file)"],
    ),
    "sink bad numbers and retention": (
        HEAD
        + SOURCES
        + "sinks:\n  enriched: {topic: out, partitions: 0, replication: -1, retention: 0}\n",
        [
            "sinks.enriched.partitions: expected at least 1, got 0",
            "sinks.enriched.replication: expected at least 1, got -1",
            "sinks.enriched.retention: expected a duration longer than 0",
        ],
    ),
    "sink fields empty and repeated": (
        HEAD
        + SOURCES
        + "sinks:\n  a: {topic: a, fields: []}\n  b: {topic: b, fields: [x, y, x]}\n",
        [
            "sinks.a.fields: expected at least one field (leave the key out to keep every field)",
            "sinks.b.fields[2]: field 'x' is listed twice",
        ],
    ),
    "sink fields not a list": (
        HEAD + SOURCES + "sinks:\n  a: {topic: a, fields: x}\n",
        ["sinks.a.fields: expected a list, got 'x'"],
    ),
    "defaults": (
        HEAD + SOURCES + SINKS + "defaults: {partitions: many, retention: 7, replicas: 3}\n",
        [
            "defaults.partitions: expected an integer, got 'many'",
            "defaults.replicas: unknown key, did you mean 'replication'? "
            "(allowed: partitions, replication, retention)",
            "defaults.retention: expected a duration with a unit such as 500ms, 30s, 5m, 2h or 7d, "
            "got 7",
        ],
    ),
    "bad duration text": (
        HEAD + SOURCES + SINKS + "defaults: {retention: 1.5d}\nworker: {batch_wait: 5 s}\n",
        [
            "defaults.retention: invalid duration '1.5d': fractions are not supported, write 36h",
            f"worker.batch_wait: invalid duration '5 s': expected {DURATION_HINT}",
        ],
    ),
    "worker bounds": (
        HEAD + SOURCES + SINKS + "worker: {batch_size: 100001, batch_wait: 2m}\n",
        [
            "worker.batch_size: expected at most 100000, got 100001",
            "worker.batch_wait: expected at most 1m, got 2m",
        ],
    ),
    "dead letter": (
        HEAD + SOURCES + SINKS + "dead_letter: {topic: 'a b', max_message_bytes: 10}\n",
        [
            "dead_letter.max_message_bytes: expected at least 1024, got 10",
            "dead_letter.topic: invalid topic name 'a b': use 1 to 249 characters from a-z, A-Z, "
            "0-9, '.', '_' and '-' (not '.' or '..')",
        ],
    ),
    "metrics port": (
        HEAD + SOURCES + SINKS + "metrics: {port: 70000}\n",
        ["metrics.port: expected at most 65535, got 70000"],
    ),
    "section given as a list": (
        HEAD + SOURCES + SINKS + "worker: [1]\n",
        ["worker: expected a mapping, got a list"],
    ),
    # steps
    "steps not a list": (
        HEAD + SOURCES + SINKS + "steps: {filter: x}\n",
        ["steps: expected a list, got a mapping"],
    ),
    "step with two keys": (
        steps("filter: a", "{enrich: {table: users, on: id}, filter: b}"),
        ["steps[1]: expected exactly one of enrich, filter, map, quality, got: enrich, filter"],
    ),
    "step with unknown key": (
        steps("foo: 1"),
        ["steps[0]: expected exactly one of enrich, filter, map, quality, got: foo"],
    ),
    "quality step with a missing rules file": (
        steps("filter: a", "quality: rules/page_views.yaml"),
        ["steps[1].quality: rules/page_views.yaml: file not found"],
    ),
    "windows step not supported yet": (
        steps("windows: {}"),
        [
            "steps[0]: 'windows' steps are not supported in this version "
            "(supported: enrich, filter, map, quality)"
        ],
    ),
    "step not a mapping": (
        steps("filter", "{}"),
        [
            "steps[0]: expected a mapping with one of enrich, filter, map, quality, got 'filter'",
            "steps[1]: expected exactly one of enrich, filter, map, quality, got an empty mapping",
        ],
    ),
    "enrich missing and unknown keys": (
        steps("filter: a", "filter: b", "enrich: {table: users, onn: user_id}"),
        [
            "steps[2].enrich.on: field required",
            "steps[2].enrich.onn: unknown key, did you mean 'on'? "
            "(allowed: table, on, fields, missing, prefix)",
        ],
    ),
    "enrich bad values": (
        steps("enrich: {table: users, on: user_id, missing: maybe, fields: [], prefix: 'u-'}"),
        [
            "steps[0].enrich.fields: expected at least one field "
            "(leave the key out to keep every field)",
            "steps[0].enrich.missing: expected one of keep, drop, dead_letter, got 'maybe'",
            "steps[0].enrich.prefix: invalid prefix 'u-': use letters, digits and '_', "
            "not starting with a digit",
        ],
    ),
    "enrich body not a mapping": (
        steps("enrich: users"),
        ["steps[0].enrich: expected a mapping with table and on, got 'users'"],
    ),
    "enrich index is not a key": (
        steps("enrich: {table: users, on: id, index: 3}"),
        ["steps[0].enrich.index: unknown key (allowed: table, on, fields, missing, prefix)"],
    ),
    "enrich unknown table": (
        steps("filter: a", "enrich: {table: userz, on: user_id}"),
        ["steps[1].enrich.table: unknown reference table 'userz' (known: users)"],
    ),
    "filter not a string": (
        steps("filter: 5", "filter: ''", "filter:"),
        [
            "steps[0].filter: expected an expression string, got 5",
            "steps[1].filter: expected an expression, got an empty string",
            "steps[2].filter: expected an expression string, got an empty value",
        ],
    ),
    "map bad columns": (
        steps("map: {duration_s: '', 1x: a, ok: b, n: 3}"),
        [
            "steps[0].map.1x: invalid column name '1x': use letters, digits and '_', "
            "not starting with a digit",
            "steps[0].map.duration_s: expected an expression, got an empty string",
            "steps[0].map.n: expected an expression string, got 3",
        ],
    ),
    "map empty": (
        steps("map: {}", "map: x"),
        [
            "steps[0].map: expected a mapping of column names to expressions, got an empty mapping",
            "steps[1].map: expected a mapping of column names to expressions, got 'x'",
        ],
    ),
    "errors sort by path, steps[10] after steps[2]": (
        steps(*["filter: a"] * 10, "foo: 1", "filter: 1", "bar: 2"),
        [
            "steps[10]: expected exactly one of enrich, filter, map, quality, got: foo",
            "steps[11].filter: expected an expression string, got 1",
            "steps[12]: expected exactly one of enrich, filter, map, quality, got: bar",
        ],
    ),
    # rules across sections
    "sink writes a source topic": (
        HEAD + SOURCES + "sinks:\n  enriched: {topic: page-views}\n",
        [
            "sinks.enriched.topic: topic 'page-views' is read by sources.page_views; "
            "a sink must not write to a topic the pipeline reads"
        ],
    ),
    "sink writes a reference topic": (
        HEAD + SOURCES + USERS + "sinks:\n  enriched: {topic: users}\n",
        [
            "sinks.enriched.topic: topic 'users' is read by reference.users; "
            "a sink must not write to a topic the pipeline reads"
        ],
    ),
    "two sinks one topic": (
        HEAD + SOURCES + "sinks:\n  a: {topic: out}\n  b: {topic: out}\n",
        ["sinks.b.topic: topic 'out' is already written by sinks.a"],
    ),
    "two sources one topic": (
        HEAD + "sources:\n  a: {topic: in}\n  b: {topic: in}\n" + SINKS,
        ["sources.b.topic: topic 'in' is already read by sources.a"],
    ),
    "dead letter shares a sink topic": (
        HEAD + SOURCES + SINKS + "dead_letter: {topic: page-views-enriched}\n",
        [
            "dead_letter.topic: topic 'page-views-enriched' is also used by sinks.enriched; "
            "the dead-letter topic must be a topic of its own"
        ],
    ),
    "default dead letter topic taken": (
        HEAD + SOURCES + "sinks:\n  enriched: {topic: clickstream.dlq}\n",
        [
            "dead_letter: topic 'clickstream.dlq' is also used by sinks.enriched; "
            "the dead-letter topic must be a topic of its own"
        ],
    ),
    "topic names colliding in '.' and '_'": (
        HEAD + SOURCES + "sinks:\n  a: {topic: page_views.out}\n  b: {topic: page.views_out}\n",
        [
            "sinks.a.topic: topic 'page_views.out' collides with 'page.views_out' (sinks.b): "
            "Kafka does not allow topic names that differ only in '.' and '_'",
            "sinks.b.topic: topic 'page.views_out' collides with 'page_views.out' (sinks.a): "
            "Kafka does not allow topic names that differ only in '.' and '_'",
        ],
    ),
    "source and table share a name": (
        HEAD + SOURCES + "reference:\n  page_views: {topic: pv}\n" + SINKS,
        [
            "reference.page_views: name 'page_views' is already used by sources.page_views "
            "(sources and reference tables share one namespace)"
        ],
    ),
    "unset variable": (
        HEAD + "sources:\n  page_views: {topic: '${TOPIC}'}\n" + SINKS,
        [
            "sources.page_views.topic: environment variable TOPIC is not set "
            "(use ${TOPIC:-default} for a default)"
        ],
    ),
}


@pytest.mark.parametrize(("text", "expected"), CASES.values(), ids=CASES.keys())
def test_bad_pipeline_file(
    text: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "empty").mkdir()
    (tmp_path / "s.avsc").write_text('{"type": "string"}')
    Path("pipeline.yaml").write_text(text)
    with pytest.raises(PipelineFileError) as info:
        load_pipeline("pipeline.yaml", env={})
    want = [f"pipeline.yaml: {line.replace('{dir}', str(tmp_path))}" for line in expected]
    assert info.value.errors == want
    assert str(info.value) == "\n".join(want)
