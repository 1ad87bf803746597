"""${VAR} expansion: after YAML parsing, on string values only."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stream_engine.spec import PipelineFileError, parse_pipeline
from stream_engine.spec.env import EnvReferenceError, expand_env, expand_string
from stream_engine.spec.errors import Issue


@pytest.mark.parametrize(
    ("text", "env", "expanded"),
    [
        ("${TOPIC}", {"TOPIC": "views"}, "views"),
        ("pre-${A}-${B}-post", {"A": "1", "B": "2"}, "pre-1-2-post"),
        ("${TOPIC:-views}", {}, "views"),
        ("${TOPIC:-views}", {"TOPIC": "clicks"}, "clicks"),
        ("${TOPIC:-views}", {"TOPIC": ""}, "views"),  # as in the shell: empty uses the default
        ("${TOPIC}", {"TOPIC": ""}, ""),
        ("${EMPTY:-}", {}, ""),
        ("${T:-a b:c}", {}, "a b:c"),
        ("$${TOPIC}", {"TOPIC": "x"}, "${TOPIC}"),
        ("cost: $5 and $HOME", {}, "cost: $5 and $HOME"),
        ("$$", {}, "$$"),
        ("${X}", {"X": "${Y}"}, "${Y}"),  # values are not expanded again
    ],
)
def test_expand_string(text: str, env: dict[str, str], expanded: str) -> None:
    assert expand_string(text, env) == expanded


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${TOPIC}", "environment variable TOPIC is not set (use ${TOPIC:-default} for a default)"),
        (
            "${TOPIC",
            "unterminated '${TOPIC': expected ${NAME} or ${NAME:-default} "
            "(write $${ for a literal ${)",
        ),
        (
            "${1X}",
            "invalid reference '${1X}': expected ${NAME} or ${NAME:-default} "
            "(write $${ for a literal ${)",
        ),
        (
            "${X-a}",
            "invalid reference '${X-a}': expected ${NAME} or ${NAME:-default} "
            "(write $${ for a literal ${)",
        ),
        ("${X:-${Y}}", "nested reference in the default of ${X:-...} is not supported"),
    ],
)
def test_expand_string_errors(text: str, message: str) -> None:
    with pytest.raises(EnvReferenceError) as info:
        expand_string(text, {})
    assert str(info.value) == message


def test_expand_env_walks_values_not_keys_and_collects_every_problem() -> None:
    data = {
        "${KEY}": "${A}",
        "items": ["${B}", 3, True, None, {"x": "${C:-c}"}],
    }
    expanded, issues = expand_env(data, {"A": "a"})
    assert expanded == {"${KEY}": "a", "items": ["${B}", 3, True, None, {"x": "c"}]}
    assert issues == [
        Issue(
            ("items", 0),
            "environment variable B is not set (use ${B:-default} for a default)",
        )
    ]


@given(st.text().filter(lambda s: "$" not in s))
def test_text_without_dollar_is_unchanged(text: str) -> None:
    assert expand_string(text, {}) == text


@given(st.text())
def test_escaped_text_comes_back_literally(text: str) -> None:
    escaped = text.replace("${", "$${")
    assert expand_string(escaped, {}) == text


PIPELINE = {
    "pipeline": "${NAME:-clickstream}",
    "version": "${V:-1}",
    "sources": {"page_views": {"topic": "${TOPIC}"}},
    "sinks": {"out": {"topic": "out"}},
    "description": "${DESC}",
}


def test_expanded_values_are_coerced_by_the_models(tmp_path: Path) -> None:
    spec = parse_pipeline(
        PIPELINE, "pipeline.yaml", tmp_path, env={"TOPIC": "views", "V": "3", "DESC": "d"}
    )
    assert spec.pipeline == "clickstream"
    assert spec.version == 3
    assert spec.sources["page_views"].topic == "views"


def test_expanded_value_never_becomes_structure(tmp_path: Path) -> None:
    spec = parse_pipeline(
        PIPELINE, "pipeline.yaml", tmp_path, env={"TOPIC": "views", "DESC": "a: b\n- c"}
    )
    assert spec.description == "a: b\n- c"


def test_injected_structure_fails_as_a_plain_value(tmp_path: Path) -> None:
    with pytest.raises(PipelineFileError) as info:
        parse_pipeline(PIPELINE, "pipeline.yaml", tmp_path, env={"TOPIC": "{a: b}", "DESC": ""})
    assert info.value.errors == [
        "pipeline.yaml: sources.page_views.topic: invalid topic name '{a: b}': use 1 to 249 "
        "characters from a-z, A-Z, 0-9, '.', '_' and '-' (not '.' or '..')"
    ]


def test_unset_variables_are_reported_with_their_paths(tmp_path: Path) -> None:
    with pytest.raises(PipelineFileError) as info:
        parse_pipeline(PIPELINE, "pipeline.yaml", tmp_path, env={})
    assert info.value.errors == [
        "pipeline.yaml: description: environment variable DESC is not set "
        "(use ${DESC:-default} for a default)",
        "pipeline.yaml: sources.page_views.topic: environment variable TOPIC is not set "
        "(use ${TOPIC:-default} for a default)",
    ]


def test_default_env_is_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOPIC", "from-env")
    monkeypatch.setenv("DESC", "x")
    spec = parse_pipeline(PIPELINE, "pipeline.yaml", tmp_path)
    assert spec.sources["page_views"].topic == "from-env"
