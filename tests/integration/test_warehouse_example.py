"""examples/customer_analytics end to end on the real broker and PostgreSQL, checked row by row."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import orjson
from kafka_kit import KafkaKit

from examples.customer_analytics import data

ROOT = Path(__file__).parents[2]
END = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def _expected_versions() -> list[tuple[object, ...]]:
    out = []
    for c in data.customers():
        cid = c["customer_id"]
        changes = [(when, seg) for _, k, seg, when in data.SEGMENT_CHANGES if k == cid]
        starts = [(c["updated_at"], c["segment"]), *changes]
        for i, (start, segment) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else END
            out.append((cid, segment, c["city"], start, end, end == END))
    return out


def test_customer_analytics_example(kafka: KafkaKit, postgres_dsn: str, tmp_path: Path) -> None:
    names = {
        "PIPELINE_NAME": kafka.unique("shop"),
        "CUSTOMERS_TOPIC": kafka.unique("customers"),
        "ORDERS_TOPIC": kafka.unique("orders"),
        "DAILY_TOPIC": kafka.unique("daily"),
        "DLQ_TOPIC": kafka.unique("dlq"),
    }
    kafka.created += [v for k, v in names.items() if k != "PIPELINE_NAME"]
    env = {**os.environ, **names, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap}
    done = subprocess.run(
        [sys.executable, "-m", "examples.customer_analytics.run", "--dsn", postgres_dsn,
         "--workdir", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    log = (tmp_path / "worker.log").read_text() if (tmp_path / "worker.log").exists() else ""
    assert done.returncode == 0, done.stdout + done.stderr + log[-3000:]
    assert "verdict: passed" in done.stdout

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    versions = con.execute(
        "SELECT customer_id, segment, city, effective_date, expiration_date, is_current "
        "FROM dim_customer ORDER BY customer_id, effective_date"
    ).fetchall()
    assert [
        tuple(x.astimezone(dt.UTC) if isinstance(x, dt.datetime) else x for x in v)
        for v in versions
    ] == _expected_versions()
    _, renamed_id, new_name, _ = data.RENAMED
    names_of_7 = con.execute(
        "SELECT DISTINCT name FROM dim_customer WHERE customer_id = ?", [renamed_id]
    ).fetchall()
    assert names_of_7 == [(new_name,)]  # Type 1: overwritten in place

    orders = [o for phase in data.PHASES for o in data.orders(phase)]
    known = [o for o in orders if o["customer_id"] != data.UNKNOWN_CUSTOMER]
    expected_months: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for o in known:
        cell = expected_months[
            (o["ordered_at"].month, data.segment_at(o["customer_id"], o["ordered_at"]))
        ]
        cell[0] += 1
        cell[1] += o["amount"]
    got = con.execute(
        "SELECT d.month, c.segment, count(*), sum(f.amount) FROM sales_fact f "
        "JOIN dim_customer c ON c.customer_sk = f.customer_sk "
        "JOIN dim_date d ON d.date_key = f.date_key GROUP BY ALL ORDER BY 1, 2"
    ).fetchall()
    assert [(m, s, n, round(a, 2)) for m, s, n, a in got] == [
        (m, s, n, round(a, 2)) for (m, s), (n, a) in sorted(expected_months.items())
    ]
    assert con.execute("SELECT count(*), count(DISTINCT order_id) FROM sales_fact").fetchone() == (
        len(known),
        len(known),
    )

    lifetime: dict[str, float] = defaultdict(float)
    for o in orders:
        lifetime[str(o["customer_id"])] += o["amount"]
    windows = con.execute("SELECT key, sum(revenue) FROM customer_daily GROUP BY key").fetchall()
    assert {k: round(v, 2) for k, v in windows} == {k: round(v, 2) for k, v in lifetime.items()}

    (letter,) = kafka.read_all(names["DLQ_TOPIC"], expected=1)
    assert letter.header("dlq.stage") == b"sink"
    assert letter.header("dlq.reason") == b"missing_reference"
    assert orjson.loads(letter.value or b"{}")["customer_id"] == data.UNKNOWN_CUSTOMER
