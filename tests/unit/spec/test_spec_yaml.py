"""The strict YAML loader and the file-level errors of load_pipeline."""

import pickle
from pathlib import Path

import pytest

from stream_engine.errors import ConfigError
from stream_engine.spec import PipelineFileError, load_pipeline
from stream_engine.spec.yaml_loader import parse_yaml

EMPTY = (
    "pipeline.yaml: the file is empty "
    "(expected a mapping with pipeline, version, sources and sinks)"
)


def errors_of(path: str) -> list[str]:
    with pytest.raises(PipelineFileError) as info:
        load_pipeline(path)
    return info.value.errors


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "pipeline: a\nsources:\n  x:\n    topic: a\n    topic: b\n",
            "pipeline.yaml:5:5: duplicate key 'topic' (first defined on line 4)",
        ),
        (
            "pipeline: a\npipeline: b\n",
            "pipeline.yaml:2:1: duplicate key 'pipeline' (first defined on line 1)",
        ),
        (
            "steps:\n  - {map: {a: x, a: y}}\n",
            "pipeline.yaml:2:18: duplicate key 'a' (first defined on line 2)",
        ),
        ("pipeline: a\n1: x\n", "pipeline.yaml:2:1: keys must be text, got 1 (put it in quotes)"),
        ("true: x\n", "pipeline.yaml:1:1: keys must be text, got true (put it in quotes)"),
        (
            "pipeline: a\n  version: 1\n",
            "pipeline.yaml:2:10: invalid YAML: mapping values are not allowed here",
        ),
        (
            "sources:\n  a: {topic: t\nsinks: x\n",
            "pipeline.yaml:3:6: invalid YAML: expected ',' or '}', but got ':' "
            "(while parsing a flow mapping started on line 2)",
        ),
        (
            "a: 1\n---\nb: 2\n",
            "pipeline.yaml:2:1: invalid YAML: expected a single document in the stream, "
            "but found another document",
        ),
        (
            "a: 'x\n",
            "pipeline.yaml:2:1: invalid YAML: found unexpected end of stream "
            "(while scanning a quoted scalar started on line 1)",
        ),
        (
            "pipeline: a\n\tversion: 1\n",
            "pipeline.yaml:2:1: invalid YAML: while scanning for the next token, "
            "found character '\\t' that cannot start any token",
        ),
        (
            "pipeline: a\n\x07: 1\n",
            "pipeline.yaml:2:1: invalid YAML: unacceptable character #x0007: "
            "special characters are not allowed",
        ),
        (
            "",
            EMPTY,
        ),
        (
            "# only a comment\n",
            EMPTY,
        ),
        ("- a\n- b\n", "pipeline.yaml: expected a mapping at the top level, got a list"),
        ("just text\n", "pipeline.yaml: expected a mapping at the top level, got 'just text'"),
    ],
)
def test_file_level_errors(text: str, message: str) -> None:
    Path("pipeline.yaml").write_text(text)
    assert errors_of("pipeline.yaml") == [message]


def test_missing_file() -> None:
    assert errors_of("nope.yaml") == ["nope.yaml: file not found"]


def test_directory() -> None:
    Path("conf").mkdir()
    assert errors_of("conf") == ["conf: is a directory, expected a pipeline file"]


def test_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("pipeline.yaml").write_text("pipeline: a\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert errors_of("pipeline.yaml") == ["pipeline.yaml: cannot read: Permission denied"]


def test_not_utf8() -> None:
    Path("pipeline.yaml").write_bytes(b"pipeline: caf\xe9\n")
    assert errors_of("pipeline.yaml") == ["pipeline.yaml: not UTF-8 text (byte 0xe9 at offset 13)"]


def test_the_error_is_a_config_error_with_one_line_per_problem() -> None:
    Path("pipeline.yaml").write_text("pipeline: a\n")
    with pytest.raises(ConfigError) as info:
        load_pipeline("pipeline.yaml")
    assert str(info.value).splitlines() == [
        "pipeline.yaml: sinks: field required",
        "pipeline.yaml: sources: field required",
        "pipeline.yaml: version: field required",
    ]


@pytest.mark.parametrize(
    ("text", "data"),
    [
        # YAML 1.1 would read these keys and values as booleans.
        ("on: user_id\nyes: no\nwire: off\n", {"on": "user_id", "yes": "no", "wire": "off"}),
        ("a: true\nb: False\nc: TRUE\n", {"a": True, "b": False, "c": True}),
        ("day: 2024-01-31\n", {"day": "2024-01-31"}),
        ("n: 1_000_000\nm: 0x10\n", {"n": 1_000_000, "m": 16}),
        (
            "base: &b {topic: t, format: json}\nx:\n  <<: *b\n  format: avro\n",
            {
                "base": {"topic": "t", "format": "json"},
                "x": {"topic": "t", "format": "avro"},
            },
        ),
        ("\ufeffa: 1\n", {"a": 1}),
    ],
)
def test_strict_loader_values(text: str, data: object) -> None:
    assert parse_yaml(text, "f.yaml") == data


def test_error_survives_pickling() -> None:
    error = PipelineFileError(["a.yaml: x: bad", "a.yaml: y: bad"])
    copy = pickle.loads(pickle.dumps(error))
    assert copy.errors == error.errors
    assert str(copy) == str(error)
