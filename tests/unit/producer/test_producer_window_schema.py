"""schemas/window_result/v1.avsc holds the window operator's real result records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stream_engine.serde import make_decoder, make_encoder
from stream_engine.windows.results import WindowResult

SCHEMA = Path(__file__).parents[3] / "schemas/window_result/v1.avsc"
ENVELOPE = ("key", "window_start", "window_end", "window_start_iso", "window_end_iso", "count")


def _as_avro(record: dict[str, Any]) -> dict[str, Any]:
    """The JSON result's aggregation fields go into `aggregates` (docs/schemas.md)."""
    out = {name: record[name] for name in ENVELOPE}
    out["seq"] = record.get("seq")
    out["aggregates"] = {k: v for k, v in record.items() if k not in (*ENVELOPE, "seq")}
    return out


@pytest.mark.parametrize("final", [True, False])
def test_a_window_result_round_trips(final: bool) -> None:
    result = WindowResult(
        key="u42",
        start=1_700_000_000_000,
        end=1_700_000_300_000,
        fields={"views": 3, "seconds": 41.5, "pages": ["/", "/cart"], "first": None, "ok": True},
        count=3,
        seq=4,
        final=final,
    )
    value = _as_avro(result.record())
    encoded = make_encoder("avro", schema=SCHEMA, schema_dir=SCHEMA.parents[1]).encode(value)
    decoded = make_decoder("avro", schema=SCHEMA, schema_dir=SCHEMA.parents[1], wire_format=True)
    assert decoded.decode(encoded) == value
    assert value["window_start_iso"] == "2023-11-14T22:13:20.000Z"
    assert value["seq"] == (None if final else 4)
