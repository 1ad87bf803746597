"""The ``schema`` part of a rules table: what each column must look like, record by record."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from stream_engine.spec.base import SpecModel
from stream_engine.spec.errors import spec_error
from stream_engine.spec.fieldtypes import FieldName, Integer

ColumnType = Literal[
    "string", "int", "float", "bool", "timestamp", "date", "decimal", "array", "map"
]
Severity = Literal["warn", "error"]
Scalar = str | int | float | bool

_RULE_ID = re.compile(r"[A-Za-z0-9_.:+#-]{1,200}")


def check_rule_id(value: str | None) -> str | None:
    """A rule id is a metric label and a header value: short, no spaces."""
    if value is not None and not _RULE_ID.fullmatch(value):
        raise spec_error(f"invalid rule id {value!r}: use 1 to 200 letters, digits and . _ - : + #")
    return value


class ColumnSchema(SpecModel):
    """One column: its type, whether it may be null, allowed values, regex, length bounds.

    All of it is checked record by record; a record failing any part fails the column's
    rule (id ``schema.<column>`` unless given), with reason ``schema`` in dead letters.
    """

    column: FieldName
    type: ColumnType | None = None
    nullable: bool = True
    allowed: list[Scalar] | None = None
    regex: str | None = None
    min_length: Integer | None = Field(None, ge=0)
    max_length: Integer | None = Field(None, ge=0)
    id: str | None = None
    severity: Severity = "error"
    mostly: float = Field(1.0, ge=0.0, le=1.0)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str | None) -> str | None:
        return check_rule_id(value)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise spec_error(f"invalid regex {value!r}: {exc}") from None
        return value

    @field_validator("allowed")
    @classmethod
    def _not_empty(cls, value: list[Scalar] | None) -> list[Scalar] | None:
        if value is not None and not value:
            raise spec_error("expected at least one allowed value")
        return value

    @model_validator(mode="after")
    def _lengths_in_order(self) -> ColumnSchema:
        low, high = self.min_length, self.max_length
        if low is not None and high is not None and low > high:
            raise spec_error(f"min_length {low} is larger than max_length {high}")
        return self

    @property
    def rule_id(self) -> str:
        return self.id or f"schema.{self.column}"
