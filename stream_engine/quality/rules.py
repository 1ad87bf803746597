"""The rules file: ``tables: {name: {schema: [...], checks: [...]}}`` plus stream options.

Every check is a small model named by its ``type``. Record-level checks decide per row
(and in a stream dead-letter the failing records); aggregate checks compute one metric
per dataset or per event-time window. ``mostly`` sets a record-level verdict's pass
share and never changes which records fail; aggregate checks have their own bounds.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from stream_engine.quality.schema_rules import ColumnSchema, Scalar, Severity, check_rule_id
from stream_engine.spec.base import SpecModel
from stream_engine.spec.durations import Duration
from stream_engine.spec.errors import Issue, describe_value, issues_error, spec_error
from stream_engine.spec.fieldtypes import (
    DurationValue,
    Expression,
    FieldName,
    Integer,
    Name,
    PositiveDuration,
)

RECORD_LEVEL = ("range", "expression", "referential_integrity")
AGGREGATE = ("null_rate", "row_count", "freshness", "distribution", "anomaly")
CHECK_TYPES = (
    "range",
    "null_rate",
    "uniqueness",
    "row_count",
    "freshness",
    "distribution",
    "anomaly",
    "referential_integrity",
    "expression",
)
ANOMALY_METRICS = ("row_count", "null_rate", "mean", "sum", "min", "max")
DEFAULT_PER = Duration(60_000)


class _Check(SpecModel):
    # A NaN bound makes every comparison false (a range would pass any value): refuse it.
    model_config = ConfigDict(allow_inf_nan=False)

    type: str
    id: str | None = None
    severity: Severity = "error"
    mostly: float = Field(1.0, ge=0.0, le=1.0)

    internal_fields: ClassVar[frozenset[str]] = frozenset({"index"})
    index: int = Field(0, ge=0)  # position in the table's checks; set by TableRules
    uses_mostly: ClassVar[bool] = True

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str | None) -> str | None:
        return check_rule_id(value)

    @model_validator(mode="after")
    def _mostly_applies(self) -> _Check:
        if not self.uses_mostly and "mostly" in self.model_fields_set:
            raise spec_error(
                f"mostly does not apply to {self.type} checks (they compare one metric "
                "with their own bounds); mostly is for record-level checks and uniqueness"
            )
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the check reads (for default ids and reports)."""
        column = getattr(self, "column", None)
        return (column,) if column else ()

    @property
    def rule_id(self) -> str:
        """The given id, or ``<type>.<columns>`` (``<type>`` alone without columns)."""
        if self.id:
            return self.id
        if not self.columns:
            return self.type
        return f"{self.type}.{'+'.join(self.columns)}"


class RangeCheck(_Check):
    """Values between ``min`` and ``max`` inclusive; nulls are not checked (use nullable)."""

    type: Literal["range"]
    column: FieldName
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> RangeCheck:
        if self.min is None and self.max is None:
            raise spec_error("range needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise spec_error(f"min {self.min} is larger than max {self.max}")
        return self


class ExpressionCheck(_Check):
    """A row passes when the safe expression is true (false, null or an error fail it)."""

    type: Literal["expression"]
    expr: Expression

    @property
    def columns(self) -> tuple[str, ...]:
        from stream_engine.expr import parse

        return tuple(sorted(parse(self.expr).columns))

    @property
    def rule_id(self) -> str:
        """The given id or ``expression.<position>`` (expressions have no short name)."""
        return self.id or f"expression.{self.index}"

    @field_validator("expr")
    @classmethod
    def _compiles(cls, value: str) -> str:
        from stream_engine.errors import StreamEngineError
        from stream_engine.expr import parse

        try:
            parse(value)
        except StreamEngineError as exc:
            raise spec_error(f"invalid expression: {exc}") from None
        return value


class ReferenceSource(SpecModel):
    """Where the allowed values of a referential check come from: exactly one place.

    ``file`` (CSV, JSONL, Parquet), ``topic`` (a compacted topic; values are the message
    keys unless ``column`` names a value field), or ``database`` + ``table`` (a
    PostgreSQL URL or a DuckDB file). ``column`` defaults to the checked column's name
    (the message key for topics).
    """

    file: str | None = None
    topic: str | None = None
    database: str | None = None
    table: str | None = None
    column: FieldName | None = None

    @model_validator(mode="after")
    def _one_place(self) -> ReferenceSource:
        places = [k for k in ("file", "topic", "database") if getattr(self, k) is not None]
        if len(places) != 1:
            raise spec_error(
                "expected exactly one of file, topic or database (with table), "
                f"got {', '.join(places) if places else 'none'}"
            )
        if self.database is not None and self.table is None:
            raise spec_error("a database reference needs table")
        if self.database is None and self.table is not None:
            raise spec_error("table goes with database")
        return self

    @property
    def kind(self) -> Literal["file", "topic", "database"]:
        if self.file is not None:
            return "file"
        return "topic" if self.topic is not None else "database"


class ReferentialIntegrityCheck(_Check):
    """Every non-null value must exist in the reference (loaded by the caller)."""

    type: Literal["referential_integrity"]
    column: FieldName
    reference: ReferenceSource


class UniquenessCheck(_Check):
    """No repeated value of one column or of a compound key (``columns``).

    Over a dataset the duplicates are counted; in a stream, repeats within the table's
    ``dedup_span`` are dead-lettered with reason ``duplicate``. Rows with a null in the
    key are not compared.
    """

    type: Literal["uniqueness"]
    column: FieldName | None = None
    key: list[FieldName] | None = Field(None, alias="columns")

    @model_validator(mode="after")
    def _one_key(self) -> UniquenessCheck:
        if (self.column is None) == (self.key is None):
            raise spec_error("uniqueness needs column or columns (one of them)")
        if self.key is not None and (not self.key or len(set(self.key)) != len(self.key)):
            raise spec_error("columns must list at least one column, each once")
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,) if self.column else tuple(self.key or ())


class NullRateCheck(_Check):
    """The share of null values is at most ``threshold``."""

    type: Literal["null_rate"]
    column: FieldName
    threshold: float = Field(0.0, ge=0.0, le=1.0)
    uses_mostly: ClassVar[bool] = False


class RowCountCheck(_Check):
    """The number of rows (per dataset, or per window in a stream) is within bounds."""

    type: Literal["row_count"]
    min: Integer | None = Field(None, ge=0)
    max: Integer | None = Field(None, ge=0)
    uses_mostly: ClassVar[bool] = False

    @model_validator(mode="after")
    def _bounds(self) -> RowCountCheck:
        if self.min is None and self.max is None:
            raise spec_error("row_count needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise spec_error(f"min {self.min} is larger than max {self.max}")
        return self


class FreshnessCheck(_Check):
    """The newest timestamp is at most ``max_age`` older than now (wall clock)."""

    type: Literal["freshness"]
    column: FieldName
    max_age: DurationValue
    uses_mostly: ClassVar[bool] = False


class DistributionCheck(_Check):
    """Mean (and optionally stddev) within ``tolerance`` (a fraction) of the expected ones.

    With an expected value of 0 the tolerance is absolute.
    """

    type: Literal["distribution"]
    column: FieldName
    expected_mean: float
    expected_stddev: float | None = Field(None, ge=0.0)
    tolerance: float = Field(0.1, ge=0.0)
    uses_mostly: ClassVar[bool] = False


class AnomalyCheck(_Check):
    """The z-score of a metric against its last ``history`` values stays within bounds.

    The verdict passes while fewer than ``warm_up`` earlier values exist.
    """

    type: Literal["anomaly"]
    metric: Literal["row_count", "null_rate", "mean", "sum", "min", "max"]
    column: FieldName | None = None
    z_threshold: float = Field(3.0, gt=0.0)
    history: Integer = Field(20, ge=2)
    warm_up: Integer = Field(5, ge=2)
    uses_mostly: ClassVar[bool] = False

    @model_validator(mode="after")
    def _column_matches_metric(self) -> AnomalyCheck:
        if self.metric == "row_count" and self.column is not None:
            raise spec_error("metric row_count takes no column")
        if self.metric != "row_count" and self.column is None:
            raise spec_error(f"metric {self.metric} needs column")
        if self.warm_up > self.history:
            raise spec_error(f"warm_up {self.warm_up} is larger than history {self.history}")
        return self

    @property
    def rule_id(self) -> str:
        if self.id:
            return self.id
        column = f".{self.column}" if self.column else ""
        return f"anomaly.{self.metric}{column}"


def _check_type(item: Any) -> str | None:
    if isinstance(item, _Check):
        return item.type
    if isinstance(item, dict) and item.get("type") in CHECK_TYPES:
        return str(item["type"])
    return None


Check = Annotated[
    Annotated[RangeCheck, Tag("range")]
    | Annotated[NullRateCheck, Tag("null_rate")]
    | Annotated[UniquenessCheck, Tag("uniqueness")]
    | Annotated[RowCountCheck, Tag("row_count")]
    | Annotated[FreshnessCheck, Tag("freshness")]
    | Annotated[DistributionCheck, Tag("distribution")]
    | Annotated[AnomalyCheck, Tag("anomaly")]
    | Annotated[ReferentialIntegrityCheck, Tag("referential_integrity")]
    | Annotated[ExpressionCheck, Tag("expression")],
    Discriminator(_check_type),
]
"""One item of ``checks``, chosen by its ``type``."""

RecordCheck = RangeCheck | ExpressionCheck | ReferentialIntegrityCheck
AggregateCheck = NullRateCheck | RowCountCheck | FreshnessCheck | DistributionCheck | AnomalyCheck


def check_type_problem(item: Any) -> str | None:
    """Why ``item`` cannot be a check, or None when its type is known."""
    if not isinstance(item, dict):
        return f"expected a mapping with type, got {describe_value(item)}"
    if "type" not in item:
        return f"field 'type' required (known: {', '.join(CHECK_TYPES)})"
    kind = item["type"]
    if kind not in CHECK_TYPES:
        return f"unknown check type {describe_value(kind)} (known: {', '.join(CHECK_TYPES)})"
    if "index" in item:  # set by the loader, never by the file
        return "unknown key 'index'"
    return None


class TableRules(SpecModel):
    """The rules of one table (one stream source): schema, checks and stream options."""

    schema_: list[ColumnSchema] = Field(default_factory=list, alias="schema")
    checks: list[Check] = Field(default_factory=list)
    per: PositiveDuration = DEFAULT_PER  # event-time window of aggregate checks in a stream
    grace: DurationValue = Duration(0)  # how late a record may be for its window in a stream
    dedup_span: DurationValue | None = None  # stream uniqueness: how long a key is kept
    on_error: Literal["dead_letter", "halt"] = "dead_letter"

    @field_validator("checks", mode="before")
    @classmethod
    def _known_types(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        issues = [
            Issue((i,), problem)
            for i, item in enumerate(value)
            if (problem := check_type_problem(item)) is not None
        ]
        if issues:
            raise issues_error(issues)
        return value

    @model_validator(mode="after")
    def _number_and_ids(self) -> TableRules:
        numbered = [
            c if c.index == i else c.model_copy(update={"index": i})
            for i, c in enumerate(self.checks)
        ]
        object.__setattr__(self, "checks", numbered)
        issues: list[Issue] = []
        seen: dict[str, tuple[str | int, ...]] = {}
        places: list[tuple[tuple[str | int, ...], str]] = [
            (("schema", i), s.rule_id) for i, s in enumerate(self.schema_)
        ]
        places += [(("checks", i), c.rule_id) for i, c in enumerate(numbered)]
        for loc, rule_id in places:
            if rule_id in seen:
                first = "".join(f"[{p}]" if isinstance(p, int) else p for p in seen[rule_id])
                issues.append(
                    Issue(loc, f"rule id {rule_id!r} is already used by {first}; give it an id")
                )
            else:
                seen[rule_id] = loc
        if issues:
            raise issues_error(issues)
        return self

    @property
    def record_checks(self) -> list[RecordCheck]:
        kinds = RangeCheck | ExpressionCheck | ReferentialIntegrityCheck
        return [c for c in self.checks if isinstance(c, kinds)]

    @property
    def uniqueness_checks(self) -> list[UniquenessCheck]:
        return [c for c in self.checks if isinstance(c, UniquenessCheck)]

    @property
    def aggregate_checks(self) -> list[AggregateCheck]:
        return [
            c
            for c in self.checks
            if isinstance(
                c, NullRateCheck | RowCountCheck | FreshnessCheck | DistributionCheck | AnomalyCheck
            )
        ]


class RulesFile(SpecModel):
    """A whole rules file: one entry per table (a stream's table is its source name)."""

    tables: dict[Name, TableRules]

    @field_validator("tables")
    @classmethod
    def _some(cls, value: dict[str, TableRules]) -> dict[str, TableRules]:
        if not value:
            raise spec_error("expected at least one table")
        return value

    def table(self, name: str | None) -> TableRules:
        """The rules of ``name``; with None, the only table (KeyError names the choices)."""
        if name is None:
            if len(self.tables) == 1:
                return next(iter(self.tables.values()))
            choices = ", ".join(self.tables)
            raise KeyError(f"the rules file has several tables, choose one of: {choices}")
        if name not in self.tables:
            raise KeyError(
                f"no table {name!r} in the rules file (tables: {', '.join(self.tables)})"
            )
        return self.tables[name]


__all__ = [
    "AGGREGATE",
    "ANOMALY_METRICS",
    "CHECK_TYPES",
    "RECORD_LEVEL",
    "AggregateCheck",
    "AnomalyCheck",
    "Check",
    "ColumnSchema",
    "DistributionCheck",
    "ExpressionCheck",
    "FreshnessCheck",
    "NullRateCheck",
    "RangeCheck",
    "RecordCheck",
    "ReferenceSource",
    "ReferentialIntegrityCheck",
    "RowCountCheck",
    "RulesFile",
    "Scalar",
    "Severity",
    "TableRules",
    "UniquenessCheck",
]
