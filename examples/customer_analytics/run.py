"""Run the customer analytics example end to end and print the analytical query's result.

    python -m examples.customer_analytics.run --dsn postgresql://... [--workdir DIR]

Needs KAFKA_BOOTSTRAP_SERVERS (a broker; `stream-engine dev broker` starts one) and an
empty PostgreSQL database. Topic names come from CUSTOMERS_TOPIC, ORDERS_TOPIC,
DAILY_TOPIC and DLQ_TOPIC (defaults: shop.*). The steps are the commands a user types.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import psycopg

from connectors.kafka_admin import TopicRequest, ensure_topics, wait_for_cluster
from examples.customer_analytics import data
from stream_engine.settings import load_settings

HERE = Path(__file__).parent
MONTHLY_BY_SEGMENT = """
SELECT d.year, d.month_name AS month, c.segment,
       count(*) AS orders, round(sum(f.amount), 2) AS revenue
FROM sales_fact f
JOIN dim_customer c ON c.customer_sk = f.customer_sk
JOIN dim_date d ON d.date_key = f.date_key
GROUP BY d.year, d.month, d.month_name, c.segment
ORDER BY d.year, d.month, c.segment
"""
CUSTOMER_VALUE = """
SELECT c.customer_id, c.name, c.segment AS current_segment,
       sum(w.orders) AS orders, round(sum(w.revenue), 2) AS lifetime_value
FROM customer_daily w
JOIN dim_customer c ON c.customer_id = CAST(w.key AS INTEGER) AND c.is_current
GROUP BY ALL ORDER BY lifetime_value DESC LIMIT 5
"""


def cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "stream_engine", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"stream-engine {args[0]} failed: {done.stderr.strip()}")
    print(done.stdout.strip())
    return done.stdout


def records_in(port: int, source: str) -> int:
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read()
    except OSError:
        return -1
    pattern = rf'^stream_engine_records_in_total\{{[^}}]*source="{source}"[^}}]*\}} (\S+)$'
    found = re.search(pattern, body.decode(), re.MULTILINE)
    return int(float(found.group(1))) if found else 0


def wait_for(port: int, source: str, total: int, worker: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while records_in(port, source) < total:
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not process {total} {source} records")
        time.sleep(0.3)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("STREAM_ENGINE_POSTGRES_DSN"))
    parser.add_argument("--workdir", type=Path, default=Path("customer_analytics_run"))
    args = parser.parse_args()
    if not args.dsn:
        raise SystemExit("pass --dsn or set STREAM_ENGINE_POSTGRES_DSN")
    work: Path = args.workdir.absolute()
    work.mkdir(parents=True, exist_ok=True)
    warehouse = work / "warehouse.duckdb"
    env = {**os.environ, "WAREHOUSE": str(warehouse), "STREAM_ENGINE_POSTGRES_DSN": args.dsn}
    customers_topic = env.setdefault("CUSTOMERS_TOPIC", "shop.customers")
    orders_topic = env.setdefault("ORDERS_TOPIC", "shop.orders")

    with psycopg.connect(args.dsn, autocommit=True) as conn:
        conn.execute((HERE / "schema.sql").read_text())
    state = str(work / "cursors")
    extract_customers = [
        "extract",
        "customers",
        "--topic",
        customers_topic,
        "--key",
        "customer_id",
        "--state",
        state,
        "--safety-lag",
        "0s",
    ]
    extract_orders = [
        "extract",
        "orders",
        "--topic",
        orders_topic,
        "--key",
        "order_id",
        "--message-key",
        "customer_id",
        "--state",
        state,
        "--safety-lag",
        "0s",
    ]
    # Customers are a changelog keyed by id (compacted); orders an append-only stream.
    admin = wait_for_cluster(load_settings())
    ensure_topics(
        admin,
        [
            TopicRequest(customers_topic, 2, 1, {"cleanup.policy": "compact"}),
            # Records carry their 2024 event times: time-based retention would delete them.
            TopicRequest(orders_topic, 2, 1, {"retention.ms": "-1"}),
        ],
    )
    port = free_port()
    log = (work / "worker.log").open("ab")
    worker = subprocess.Popen(
        [sys.executable, "-m", "stream_engine", "worker", str(HERE / "pipeline.yaml"),
         "--runtime", "kafka", "--metrics-port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    customers = orders = 0
    try:
        for phase in data.PHASES:  # as a scheduled extraction would, after each phase
            with psycopg.connect(args.dsn, autocommit=True) as conn:
                data.load_phase(conn, phase)
            # Dimensions first, then the facts that refer to them.
            cli(*extract_customers, env=env)
            customers += data.customer_rows(phase)
            wait_for(port, "customers", customers, worker)
            cli(*extract_orders, env=env)
            orders += len(data.orders(phase))
            wait_for(port, "orders", orders, worker)
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(60)
    if code != 0:
        raise SystemExit(f"the worker exited with {code}; see {work / 'worker.log'}")
    cli("warehouse", "dim-date", "--from", "2024-01-01", "--to", "2024-12-31",
        "--fiscal-start-month", "4", "--holidays", str(HERE / "holidays.csv"),
        "--output", f"duckdb:{warehouse}", env=env)  # fmt: skip
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for title, query in (
            ("Revenue by month and segment (segment at order time)", MONTHLY_BY_SEGMENT),
            ("Top customers by lifetime value", CUSTOMER_VALUE),
        ):
            print(f"\n{title}")
            print(con.sql(query))
    print("\nQuality rules on the result")
    cli("validate", f"duckdb://{warehouse}?table=sales_fact", str(HERE / "rules.yaml"),
        "--fail-on-error", "--history", str(work / "quality-history.sqlite"), env=env)  # fmt: skip


if __name__ == "__main__":
    main()
