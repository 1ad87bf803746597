"""Column kinds: inference, what fits an existing column, and the refusals' wording."""

from __future__ import annotations

import pytest

from connectors.base import SinkSchemaError, mask_dsn
from connectors.sql.types import Column, infer_kind, plan_columns


def test_kinds_are_inferred_and_ints_widen_to_float() -> None:
    assert infer_kind([1, None, 2]) == "int"
    assert infer_kind([1, 2.5]) == "float"
    assert infer_kind([True]) == "bool"
    assert infer_kind([{"a": 1}, [1]]) == "json"
    assert infer_kind([None]) is None


def test_new_columns_are_added_and_existing_ones_kept() -> None:
    existing = {"id": Column("id", "int", nullable=False), "n": Column("n", "float")}
    written, added = plan_columns("t", existing, [{"id": 1, "n": 2, "note": "x"}])
    assert [c.name for c in written] == ["id", "n", "note"]
    assert added == [Column("note", "text")]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"id": "x"}], "table t: column 'id' is int but the records carry text"),
        ([{"n": 1.0}], "table t: NOT NULL column 'id' is missing from the records"),
        ([{"id": None}], "table t: NOT NULL column 'id' gets a null value"),
        (
            [{"id": 1, "n": "a"}, {"id": 2, "n": 3}],
            "column 'n' gets values of mixed types (int, text)",
        ),
    ],
)
def test_incompatible_changes_name_table_and_column(
    rows: list[dict[str, object]], message: str
) -> None:
    existing = {"id": Column("id", "int", nullable=False)}
    with pytest.raises(SinkSchemaError) as info:
        plan_columns("t", existing, rows)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql://app:s3cret@db:5432/x", "postgresql://app:***@db:5432/x"),
        ("host=db password=s3cret user=app", "host=db password=*** user=app"),
        ("cannot connect to postgresql://app@db/x", "cannot connect to postgresql://app@db/x"),
    ],
)
def test_passwords_in_dsns_are_masked(text: str, shown: str) -> None:
    assert mask_dsn(text) == shown
