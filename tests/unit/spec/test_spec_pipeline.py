"""A good pipeline file parses into the expected models and derived names and topics."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from stream_engine.spec import (
    DeadLetterSpec,
    Duration,
    EnrichStep,
    FilterStep,
    MapStep,
    MetricsSpec,
    PipelineSpec,
    ReferenceSpec,
    SinkSpec,
    SourceSpec,
    TopicDefaults,
    TopicSettings,
    WorkerSpec,
    load_pipeline,
    parse_pipeline,
)

FULL = """\
pipeline: clickstream
version: 2
description: Page views enriched with user segments
defaults:
  partitions: 6
  replication: 3
  retention: 7d
worker:
  batch_size: 1000
  batch_wait: 50ms
sources:
  page_views:
    topic: page-views
    format: avro
    schema: schemas/page_view.avsc
    schema_dir: schemas/
    wire_format: true
    key: user_id
    event_time: ts
reference:
  users:
    topic: users
    key: user_id
steps:
  - enrich: {table: users, on: user_id, fields: [segment, country], missing: keep, prefix: user_}
  - filter: "event_type == 'page_view'"
  - map: {duration_s: "duration_ms / 1000"}
sinks:
  enriched:
    topic: page-views-enriched
    key: user_id
    partitions: 12
    retention: 1d
    fields: [user_id, duration_s]
  archive:
    topic: page-views-archive
    format: avro
    schema: schemas/page_view.avsc
dead_letter:
  topic: clickstream.failed
  replication: 1
  max_message_bytes: 2_000_000
metrics:
  port: 9108
"""

MINIMAL = """\
pipeline: clickstream
version: 1
sources:
  page_views: {topic: page-views}
sinks:
  enriched: {topic: page-views-enriched}
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "page_view.avsc").write_text('{"type": "string"}')
    (tmp_path / "schemas" / "registry.yaml").write_text("{}\n")
    return tmp_path


def test_full_file(workdir: Path) -> None:
    (workdir / "pipeline.yaml").write_text(FULL)
    spec = load_pipeline("pipeline.yaml", env={})
    avsc = workdir / "schemas" / "page_view.avsc"
    assert spec == PipelineSpec(
        pipeline="clickstream",
        version=2,
        description="Page views enriched with user segments",
        defaults=TopicDefaults(partitions=6, replication=3, retention=Duration.parse("7d")),
        worker=WorkerSpec(batch_size=1000, batch_wait=Duration(50)),
        sources={
            "page_views": SourceSpec(
                topic="page-views",
                format="avro",
                schema=avsc,
                schema_dir=workdir / "schemas",
                wire_format=True,
                key="user_id",
                event_time="ts",
            )
        },
        reference={"users": ReferenceSpec(topic="users", key="user_id")},
        steps=[
            EnrichStep(
                table="users",
                on="user_id",
                fields=["segment", "country"],
                missing="keep",
                prefix="user_",
            ),
            FilterStep(expr="event_type == 'page_view'"),
            MapStep(columns={"duration_s": "duration_ms / 1000"}),
        ],
        sinks={
            "enriched": SinkSpec(
                topic="page-views-enriched",
                key="user_id",
                partitions=12,
                retention=Duration.parse("1d"),
                fields=["user_id", "duration_s"],
            ),
            "archive": SinkSpec(topic="page-views-archive", format="avro", schema=avsc),
        },
        dead_letter=DeadLetterSpec(
            topic="clickstream.failed", replication=1, max_message_bytes=2_000_000
        ),
        metrics=MetricsSpec(port=9108),
    )
    assert list(spec.sinks) == ["enriched", "archive"]  # file order is kept
    assert spec.group_id == "stream-engine.clickstream.v2"
    assert spec.dead_letter_topic == "clickstream.failed"
    assert spec.topics_read() == ["page-views", "users"]
    assert spec.topics_written() == [
        "page-views-enriched",
        "page-views-archive",
        "clickstream.failed",
    ]
    assert spec.topics_to_create() == [
        TopicSettings(
            "page-views-enriched", 12, 3, {"cleanup.policy": "delete", "retention.ms": "86400000"}
        ),
        TopicSettings(
            "page-views-archive", 6, 3, {"cleanup.policy": "delete", "retention.ms": "604800000"}
        ),
        TopicSettings(
            "clickstream.failed",
            6,
            1,
            {
                "cleanup.policy": "delete",
                "retention.ms": "604800000",
                "max.message.bytes": "2001024",
            },
        ),
    ]


def test_minimal_file_gets_the_defaults(workdir: Path) -> None:
    (workdir / "pipeline.yaml").write_text(MINIMAL)
    spec = load_pipeline(workdir / "pipeline.yaml", env={})
    assert spec.description is None
    assert spec.defaults == TopicDefaults(partitions=4, replication=1, retention=None)
    assert spec.worker.batch_size == 500
    assert spec.worker.batch_wait == Duration(200)
    source = spec.sources["page_views"]
    assert (source.format, source.schema_file, source.wire_format) == ("json", None, False)
    assert (source.key, source.event_time) == (None, None)
    assert spec.reference == {}
    assert spec.steps == []
    assert spec.dead_letter == DeadLetterSpec()
    assert spec.dead_letter.max_message_bytes == 1_000_000
    assert spec.dead_letter_topic == "clickstream.dlq"
    assert spec.metrics.port is None
    assert spec.topics_to_create() == [
        TopicSettings("page-views-enriched", 4, 1, {"cleanup.policy": "delete"}),
        TopicSettings(
            "clickstream.dlq", 4, 1, {"cleanup.policy": "delete", "max.message.bytes": "1001024"}
        ),
    ]


def test_empty_sections_mean_defaults(workdir: Path) -> None:
    text = MINIMAL + "defaults:\nworker:\nreference:\nsteps:\ndead_letter:\nmetrics:\n"
    (workdir / "pipeline.yaml").write_text(text)
    spec = load_pipeline("pipeline.yaml", env={})
    assert spec == load_pipeline_text(workdir, MINIMAL)


def load_pipeline_text(workdir: Path, text: str) -> PipelineSpec:
    (workdir / "other.yaml").write_text(text)
    return load_pipeline(workdir / "other.yaml", env={})


def test_steps_know_their_position(workdir: Path) -> None:
    text = MINIMAL + (
        "reference:\n  users: {topic: users}\n"
        "steps:\n  - filter: a > 1\n  - map: {b: a}\n  - enrich: {table: users, on: id}\n"
    )
    spec = load_pipeline_text(workdir, text)
    assert [(s.kind, s.index, s.path) for s in spec.steps] == [
        ("filter", 0, "steps[0]"),
        ("map", 1, "steps[1]"),
        ("enrich", 2, "steps[2]"),
    ]
    enrich = spec.steps[2]
    assert isinstance(enrich, EnrichStep)
    # `on` stays a key: YAML 1.1 would have read it as the boolean true.
    assert (enrich.on, enrich.fields, enrich.missing, enrich.prefix) == (
        "id",
        None,
        "dead_letter",
        "",
    )


def test_relative_paths_resolve_against_the_file_not_the_cwd(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = MINIMAL.replace(
        "{topic: page-views}", "{topic: page-views, format: avro, schema: schemas/page_view.avsc}"
    )
    (workdir / "pipeline.yaml").write_text(text)
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    spec = load_pipeline("../pipeline.yaml", env={})
    assert spec.sources["page_views"].schema_file == elsewhere / ".." / "schemas" / "page_view.avsc"


def test_built_in_code() -> None:
    spec = PipelineSpec(
        pipeline="p",
        version=1,
        sources={"s": SourceSpec(topic="in", format="avro", schema=Path("not/checked.avsc"))},
        reference={"users": {"topic": "users"}},
        steps=[
            FilterStep(expr="x"),
            {"enrich": {"table": "users", "on": "id"}},
            FilterStep(expr="y"),
        ],
        sinks={"out": SinkSpec(topic="out")},
    )
    # Without a base directory (no file), schema paths are kept as given and not checked.
    assert spec.sources["s"].schema_file == Path("not/checked.avsc")
    assert [s.index for s in spec.steps] == [0, 1, 2]
    assert spec.worker.batch_wait == Duration(200)
    assert spec.model_dump(by_alias=True)["worker"] == {"batch_size": 500, "batch_wait": "200ms"}


def test_built_in_code_runs_the_rules_across_sections() -> None:
    with pytest.raises(ValidationError) as info:
        PipelineSpec(
            pipeline="p",
            version=1,
            sources={"s": SourceSpec(topic="in")},
            steps=[EnrichStep(table="users", on="id")],
            sinks={"out": SinkSpec(topic="in")},
        )
    assert info.value.errors()[0]["msg"] == (
        "steps[0].enrich.table: unknown reference table 'users' "
        "(known: none; define them under reference); "
        "sinks.out.topic: topic 'in' is read by sources.s; "
        "a sink must not write to a topic the pipeline reads"
    )


def test_specs_are_read_only(workdir: Path) -> None:
    spec = load_pipeline_text(workdir, MINIMAL)
    with pytest.raises(ValidationError):
        spec.version = 3  # type: ignore[misc]


def test_parse_pipeline_takes_parsed_data(tmp_path: Path) -> None:
    data = {
        "pipeline": "p",
        "version": 1,
        "sources": {"s": {"topic": "in"}},
        "sinks": {"o": {"topic": "out"}},
    }
    spec = parse_pipeline(data, "inline", tmp_path, env={})
    assert spec.topics_read() == ["in"]


def test_reference_may_read_a_source_topic(workdir: Path) -> None:
    text = MINIMAL + "reference:\n  users: {topic: page-views}\n"
    spec = load_pipeline_text(workdir, text)
    assert spec.topics_read() == ["page-views"]


def test_the_documented_example_is_valid(workdir: Path) -> None:
    doc = Path(__file__).resolve().parents[3] / "docs" / "pipeline-file.md"
    text = doc.read_text()
    start = text.index("<!-- example:start -->")
    block = text[start:].split("```yaml\n", 1)[1].split("```", 1)[0]
    spec = load_pipeline_text(workdir, block)
    assert spec.pipeline == "clickstream"
