"""load_pipeline / parse_pipeline: from a file or parsed data to a validated PipelineSpec.

The stages run in order and each stops at its own errors: read and parse YAML, expand
``${VAR}``, validate the shape, then the rules across sections (pydantic runs those only
once every section is valid). Every problem of a stage is reported at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stream_engine.spec.env import expand_env
from stream_engine.spec.errors import PipelineFileError, describe_value, render_issues
from stream_engine.spec.pipeline import PipelineSpec
from stream_engine.spec.translate import translate_errors
from stream_engine.spec.yaml_loader import read_yaml_file


def load_pipeline(path: str | Path, env: Mapping[str, str] | None = None) -> PipelineSpec:
    """Load and validate the pipeline file at ``path``.

    Relative ``schema``/``schema_dir`` paths are resolved against the file's directory.
    ``env`` (default: ``os.environ``) supplies ``${VAR}`` values. Raises
    PipelineFileError with one line per problem.
    """
    file = Path(path)
    data = read_yaml_file(file, str(path))
    return parse_pipeline(data, str(path), file.absolute().parent, env)


def parse_pipeline(
    data: Any, source_name: str, base_dir: Path, env: Mapping[str, str] | None = None
) -> PipelineSpec:
    """Validate already-parsed YAML ``data``; ``source_name`` prefixes every error line."""
    if data is None:
        raise PipelineFileError(
            [
                f"{source_name}: the file is empty (expected a mapping with pipeline, version, "
                "sources and sinks)"
            ]
        )
    if not isinstance(data, dict):
        raise PipelineFileError(
            [f"{source_name}: expected a mapping at the top level, got {describe_value(data)}"]
        )
    expanded, issues = expand_env(data, os.environ if env is None else env)
    if issues:
        raise PipelineFileError(render_issues(source_name, issues))
    try:
        return PipelineSpec.model_validate(expanded, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise PipelineFileError(
            render_issues(source_name, translate_errors(exc, PipelineSpec))
        ) from None
