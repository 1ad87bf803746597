"""One definition for both sides: pydantic models from .avsc files and .avsc from models.

model_from_avsc("schemas/page_view/v2.avsc")   -> the PageView model class
model_source("schemas/page_view/v2.avsc")      -> Python source of that model
avsc_from_model(PageView)                      -> the .avsc as a dict
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from pydantic import BaseModel

from stream_engine.errors import ConfigError
from stream_engine.producer.avro_types import AvroType, Int32, Int64
from stream_engine.producer.avsc_to_model import generate
from stream_engine.producer.model_to_avsc import avsc_from_model
from stream_engine.serde import load_schema
from stream_engine.serde.errors import one_line

__all__ = [
    "AvroType",
    "Int32",
    "Int64",
    "avsc_from_model",
    "load_model",
    "model_from_avsc",
    "model_source",
]


def model_from_avsc(path: Path | str) -> type[BaseModel]:
    """The pydantic model of a record schema (nested records and enums included)."""
    return generate(load_schema(path)).model


def model_source(path: Path | str) -> str:
    """Python source defining the model `model_from_avsc` returns, to commit to an app."""
    return generate(load_schema(path)).source


def load_model(reference: str) -> type[BaseModel]:
    """Import `package.module:Model` (the current directory is importable); ConfigError if not."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"model {reference!r} must be written as package.module:Model")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the import runs user code: any failure is reported as one line
        raise ConfigError(
            f"cannot import {module_name}: {type(exc).__name__}: {one_line(exc)}"
        ) from None
    target: object = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ConfigError(f"module {module_name} has no {attribute!r}")
        target = getattr(target, part)
    if not (isinstance(target, type) and issubclass(target, BaseModel)):
        raise ConfigError(f"{reference} is not a pydantic model class")
    return target
