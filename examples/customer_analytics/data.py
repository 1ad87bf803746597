"""The example's data, deterministic: customers, their segment changes, and orders.

Phase 1 is the shop up to the end of March 2024. Phase 2 (April to mid-May) brings two
segment changes and a name correction (Type 1); phase 3 (mid-May to June) changes
customer 1's segment a second time and has an order of an unknown customer (999), which
ends as a dead letter. The example extracts after each phase, as a scheduled job would.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

SEGMENTS = ("consumer", "smb", "enterprise")
CITIES = ("Lisbon", "Oslo", "Turin", "Ghent")
CUSTOMERS = 12
UNKNOWN_CUSTOMER = 999

PHASES = (1, 2, 3)
BOUNDS = {
    1: (dt.datetime(2024, 1, 2, tzinfo=dt.UTC), dt.datetime(2024, 4, 1, tzinfo=dt.UTC)),
    2: (dt.datetime(2024, 4, 1, tzinfo=dt.UTC), dt.datetime(2024, 5, 15, tzinfo=dt.UTC)),
    3: (dt.datetime(2024, 5, 15, tzinfo=dt.UTC), dt.datetime(2024, 7, 1, tzinfo=dt.UTC)),
}
# (phase, customer_id, new segment, when)
SEGMENT_CHANGES = [
    (2, 1, "consumer", dt.datetime(2024, 4, 1, 9, tzinfo=dt.UTC)),
    (2, 5, "smb", dt.datetime(2024, 4, 20, 9, tzinfo=dt.UTC)),
    (3, 1, "enterprise", dt.datetime(2024, 5, 15, 9, tzinfo=dt.UTC)),
]
RENAMED = (2, 7, "Gianna Rossi-Bauer", dt.datetime(2024, 4, 2, 9, tzinfo=dt.UTC))


def customer_rows(phase: int) -> int:
    """How many customer rows an extraction after `phase` sends."""
    if phase == 1:
        return CUSTOMERS
    changed = {c for p, c, _, _ in SEGMENT_CHANGES if p == phase}
    if RENAMED[0] == phase:
        changed.add(RENAMED[1])
    return len(changed)


def customers() -> list[dict[str, Any]]:
    return [
        {
            "customer_id": i,
            "name": f"Customer {i}",
            "segment": SEGMENTS[i % 3],
            "city": CITIES[i % 4],
            "updated_at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=i),
        }
        for i in range(1, CUSTOMERS + 1)
    ]


def orders(phase: int) -> list[dict[str, Any]]:
    """Orders of a phase: one every 19 hours, spread over the customers."""
    start, end = BOUNDS[phase]
    first = phase * 10_000 + 1
    out = []
    at, n = start, 0
    while at < end:
        order_id = first + n
        customer = n % CUSTOMERS + 1
        out.append(
            {
                "order_id": order_id,
                "customer_id": customer,
                "amount": round(10 + (order_id * 37 % 190) + (order_id % 4) * 0.25, 2),
                "status": "paid",
                "ordered_at": at,
                "updated_at": at,
            }
        )
        at += dt.timedelta(hours=19)
        n += 1
    if phase == 3:
        at = dt.datetime(2024, 6, 30, 12, tzinfo=dt.UTC)
        out.append(
            {
                "order_id": 39_999,
                "customer_id": UNKNOWN_CUSTOMER,
                "amount": 50.0,
                "status": "paid",
                "ordered_at": at,
                "updated_at": at,
            }
        )
    return out


def segment_at(customer_id: int, at: dt.datetime) -> str:
    """The customer's segment at a time (the reference for the SCD2 join)."""
    segment = SEGMENTS[customer_id % 3]
    for _, cid, new, when in SEGMENT_CHANGES:
        if cid == customer_id and when <= at:
            segment = new
    return segment


def load_phase(conn: Any, phase: int) -> None:
    """Apply a phase to the operational database (a psycopg connection)."""
    with conn.transaction():
        if phase == 1:
            for c in customers():
                conn.execute(
                    "INSERT INTO customers VALUES (%(customer_id)s, %(name)s, %(segment)s, "
                    "%(city)s, %(updated_at)s)",
                    c,
                )
        for changed_in, cid, segment, when in SEGMENT_CHANGES:
            if changed_in == phase:
                conn.execute(
                    "UPDATE customers SET segment = %s, updated_at = %s WHERE customer_id = %s",
                    (segment, when, cid),
                )
        renamed_in, cid, name, when = RENAMED
        if renamed_in == phase:
            conn.execute(
                "UPDATE customers SET name = %s, updated_at = %s WHERE customer_id = %s",
                (name, when, cid),
            )
        with conn.cursor().copy(
            "COPY orders (order_id, customer_id, amount, status, ordered_at, updated_at) FROM STDIN"
        ) as copy:
            for o in orders(phase):
                copy.write_row(list(o.values()))
