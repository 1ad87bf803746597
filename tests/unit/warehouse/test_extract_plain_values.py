"""Database rows become JSON events (extract): every PostgreSQL type gives a JSON value."""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress

import orjson

from connectors.base import plain_values


def test_intervals_inet_and_other_types_encode_as_json() -> None:
    row = {
        "iv": dt.timedelta(days=1, seconds=30),
        "ip": ipaddress.ip_address("10.0.0.1"),
        "n": decimal.Decimal("1.5"),
        "j": {"a": [1, None]},
        "t": "é😀",
    }
    plain = plain_values(row)
    assert plain == {"iv": 86430.0, "ip": "10.0.0.1", "n": 1.5, "j": {"a": [1, None]}, "t": "é😀"}
    assert orjson.loads(orjson.dumps(plain)) == plain
