"""The steps list: each item is a one-key mapping (``enrich``, ``filter``, ``map``, ``quality``).

Items are validated into typed step objects that remember their position, so later
errors (an expression that does not compile, a missing field) can name ``steps[2]``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stream_engine.spec.base import SpecModel
from stream_engine.spec.errors import (
    Issue,
    describe_value,
    issues_error,
    spec_error,
    unknown_key_message,
)
from stream_engine.spec.fieldtypes import Expression, FieldList, FieldName, Name

STEP_KINDS = ("enrich", "filter", "map", "quality")
# Step kinds of the design that later versions add.
FUTURE_STEP_KINDS = ("windows", "window")
STEP_KIND_ERROR_TYPE = "step_kind"

MissingPolicy = Literal["keep", "drop", "dead_letter"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _StepBase(SpecModel):
    kind: ClassVar[str]
    internal_fields: ClassVar[frozenset[str]] = frozenset({"index"})

    index: int = Field(0, ge=0)  # position in PipelineSpec.steps; set by PipelineSpec

    @property
    def path(self) -> str:
        """Where this step sits in the file, for error messages: ``steps[2]``."""
        return f"steps[{self.index}]"

    @classmethod
    def _body(cls, data: Any) -> tuple[bool, Any]:
        """The value under this step's key when ``data`` is the file form ``{kind: value}``."""
        if isinstance(data, dict) and len(data) == 1 and cls.kind in data:
            return True, data[cls.kind]
        return False, data


class EnrichStep(_StepBase):
    """Add fields from a reference table, looked up by a field of the record."""

    kind: ClassVar[str] = "enrich"

    table: Name
    on: FieldName
    fields: FieldList | None = None  # None: every field of the table's record
    missing: MissingPolicy = "dead_letter"  # what to do when the lookup finds nothing
    prefix: str = ""  # prepended to the added field names

    @model_validator(mode="before")
    @classmethod
    def _from_file_form(cls, data: Any) -> Any:
        wrapped, body = cls._body(data)
        if not wrapped:
            return data
        if not isinstance(body, dict):
            raise spec_error(f"expected a mapping with table and on, got {describe_value(body)}")
        if "index" in body:
            raise issues_error([Issue(("index",), unknown_key_message("index", cls.yaml_keys()))])
        return body

    @field_validator("prefix")
    @classmethod
    def _prefix_keeps_identifiers(cls, value: str) -> str:
        if value and not _IDENTIFIER.fullmatch(value):
            raise spec_error(
                f"invalid prefix {value!r}: use letters, digits and '_', not starting with a digit"
            )
        return value


class FilterStep(_StepBase):
    """Keep the records for which the expression is true."""

    kind: ClassVar[str] = "filter"

    expr: Expression

    @model_validator(mode="before")
    @classmethod
    def _from_file_form(cls, data: Any) -> Any:
        wrapped, body = cls._body(data)
        if not wrapped:
            return data
        # Checked here so errors name `steps[i].filter`, the key the user wrote.
        if not isinstance(body, str):
            raise spec_error(f"expected an expression string, got {describe_value(body)}")
        if not body.strip():
            raise spec_error("expected an expression, got an empty string")
        return {"expr": body}


class MapStep(_StepBase):
    """Set columns (new or existing) to the values of expressions."""

    kind: ClassVar[str] = "map"

    columns: dict[FieldName, Expression]

    @model_validator(mode="before")
    @classmethod
    def _from_file_form(cls, data: Any) -> Any:
        wrapped, body = cls._body(data)
        if not wrapped:
            return data
        # Checked here so errors name `steps[i].map.<column>`, the keys the user wrote.
        if not isinstance(body, dict) or not body:
            raise spec_error(
                "expected a mapping of column names to expressions, "
                f"got {'an empty mapping' if body == {} else describe_value(body)}"
            )
        issues = []
        for column, expr in body.items():
            if not isinstance(column, str) or not _IDENTIFIER.fullmatch(column):
                issues.append(
                    Issue(
                        (str(column),),
                        f"invalid column name {column!r}: use letters, digits and '_', "
                        "not starting with a digit",
                    )
                )
            elif not isinstance(expr, str):
                issues.append(
                    Issue((column,), f"expected an expression string, got {describe_value(expr)}")
                )
            elif not expr.strip():
                issues.append(Issue((column,), "expected an expression, got an empty string"))
        if issues:
            raise issues_error(issues)
        return {"columns": body}


class QualityStep(_StepBase):
    """Check records against a rules table (docs/quality.md); failures become dead letters.

    Forms: ``quality: rules/x.yaml``, ``quality: {rules: rules/x.yaml, table: t}`` or
    inline ``quality: {rules: {tables: {...}}}``. The rules load with the pipeline file,
    so ``check`` reports a bad rule together with the step that uses it.
    """

    kind: ClassVar[str] = "quality"

    rules: str | dict[str, Any]  # a rules file (relative to the pipeline file) or inline rules
    table: Name | None = None  # the rules table; default: the name of the batch's source

    _loaded: Any = PrivateAttr(default=None)  # a stream_engine.quality.RulesFile
    _rules_dir: Path | None = PrivateAttr(default=None)  # relative reference files start here

    @model_validator(mode="before")
    @classmethod
    def _from_file_form(cls, data: Any) -> Any:
        wrapped, body = cls._body(data)
        if not wrapped:
            return data
        if isinstance(body, str) and body.strip():
            return {"rules": body}
        if isinstance(body, dict):
            if "index" in body:
                raise issues_error([Issue(("index",), unknown_key_message("index", ["rules"]))])
            return {"rules": body} if "tables" in body else body
        raise spec_error(
            f"expected a rules file path or a mapping with rules, got {describe_value(body)}"
        )

    @model_validator(mode="after")
    def _load_rules(self, info: ValidationInfo) -> QualityStep:
        # Imported here: the quality package builds on the spec package.
        from stream_engine.quality.loader import parse_rules
        from stream_engine.spec.errors import PipelineFileError
        from stream_engine.spec.yaml_loader import read_yaml_file

        base = info.context.get("base_dir") if isinstance(info.context, dict) else None
        try:
            if isinstance(self.rules, str):
                path = base / self.rules if isinstance(base, Path) else Path(self.rules)
                self._loaded = parse_rules(read_yaml_file(path, self.rules), self.rules)
                self._rules_dir = path.absolute().parent
            else:
                self._loaded = parse_rules(self.rules, "inline rules")
                self._rules_dir = base if isinstance(base, Path) else None
        except PipelineFileError as exc:
            raise issues_error([Issue((), line) for line in exc.errors]) from None
        return self

    @property
    def rules_name(self) -> str:
        """How messages name the rules: the file path as written, or ``inline rules``."""
        return self.rules if isinstance(self.rules, str) else "inline rules"

    @property
    def rules_dir(self) -> Path | None:
        """The directory relative reference files of the rules are read from."""
        return self._rules_dir

    def loaded_rules(self) -> Any:
        """The validated ``stream_engine.quality.RulesFile``."""
        return self._loaded


def _step_kind(item: Any) -> str | None:
    if isinstance(item, _StepBase):
        return item.kind
    if isinstance(item, dict) and len(item) == 1:
        (key,) = item
        if key in STEP_KINDS:
            return str(key)
    return None


Step = Annotated[
    Annotated[EnrichStep, Tag("enrich")]
    | Annotated[FilterStep, Tag("filter")]
    | Annotated[MapStep, Tag("map")]
    | Annotated[QualityStep, Tag("quality")],
    Discriminator(
        _step_kind,
        custom_error_type=STEP_KIND_ERROR_TYPE,
        custom_error_message="expected exactly one of enrich, filter, map, quality",
    ),
]
"""One item of ``steps``: EnrichStep, FilterStep, MapStep or QualityStep."""


def step_kind_problem(item: Any) -> str:
    """Explain why a steps item is not a step (used by the error translation)."""
    kinds = ", ".join(STEP_KINDS)
    if not isinstance(item, dict):
        return f"expected a mapping with one of {kinds}, got {describe_value(item)}"
    future = [key for key in item if key in FUTURE_STEP_KINDS]
    if future:
        return f"{future[0]!r} steps are not supported in this version (supported: {kinds})"
    if not item:
        return f"expected exactly one of {kinds}, got an empty mapping"
    return f"expected exactly one of {kinds}, got: {', '.join(str(key) for key in item)}"
