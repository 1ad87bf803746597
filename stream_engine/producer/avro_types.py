"""Annotations that carry Avro detail a Python type cannot: one model, one exact .avsc."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
"""Avro `int`: a Python int that validation keeps in 32 bits."""
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
"""Avro `long`: a Python int that validation keeps in 64 bits."""

INT_ALIASES = {
    "Int32": "Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]",
    "Int64": "Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]",
}
"""The aliases as generated source writes them, so that source needs no stream_engine."""


@dataclass(frozen=True)
class AvroType:
    """`Annotated[float, AvroType("float")]`: use this Avro type for the field, not the one
    the Python type implies (float -> double, bytes -> bytes, datetime -> timestamp-millis).

    A named type (fixed, enum, record) given as a dict is written in full once, then by name.
    """

    schema: str | dict[str, Any]
