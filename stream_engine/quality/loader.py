"""load_rules / parse_rules: a rules file to a validated RulesFile, one line per problem.

Same stages and error style as the pipeline file (``spec/loader.py``): strict YAML,
``${VAR}`` expansion, then the models; every line names the file and the key, e.g.
``rules.yaml: tables.page_views.checks[2]: unknown check type 'rnage' (known: ...)``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stream_engine.quality.rules import CHECK_TYPES, RulesFile
from stream_engine.spec.env import expand_env
from stream_engine.spec.errors import Issue, PipelineFileError, describe_value, render_issues
from stream_engine.spec.translate import translate_errors
from stream_engine.spec.yaml_loader import read_yaml_file


class RulesFileError(PipelineFileError):
    """A rules file that cannot be used; ``errors`` holds one line per problem."""


def load_rules(path: str | Path, env: Mapping[str, str] | None = None) -> RulesFile:
    """Load and validate the rules file at ``path`` (errors are prefixed with ``path``)."""
    try:
        data = read_yaml_file(Path(path), str(path))
    except PipelineFileError as exc:
        raise RulesFileError(exc.errors) from None
    return parse_rules(data, str(path), env)


def parse_rules(data: Any, source_name: str, env: Mapping[str, str] | None = None) -> RulesFile:
    """Validate already-parsed YAML ``data`` (e.g. inline rules of a pipeline step)."""
    if data is None:
        raise RulesFileError([f"{source_name}: the file is empty (expected a mapping with tables)"])
    if not isinstance(data, dict):
        raise RulesFileError(
            [f"{source_name}: expected a mapping with tables, got {describe_value(data)}"]
        )
    expanded, issues = expand_env(data, os.environ if env is None else env)
    if issues:
        raise RulesFileError(render_issues(source_name, issues))
    try:
        return RulesFile.model_validate(expanded)
    except ValidationError as exc:
        found = [_drop_type_tag(i) for i in translate_errors(exc, RulesFile)]
        raise RulesFileError(render_issues(source_name, found)) from None


def _drop_type_tag(issue: Issue) -> Issue:
    """``checks[2].range.min`` -> ``checks[2].min``: the file has no key named after the type."""
    loc = list(issue.loc)
    for i in range(len(loc) - 1, 0, -1):
        if isinstance(loc[i - 1], int) and loc[i] in CHECK_TYPES:
            del loc[i]
    return Issue(tuple(loc), issue.message)
