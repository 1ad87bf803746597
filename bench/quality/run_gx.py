"""Validate the benchmark file with Great Expectations; runs inside GX's own environment.

`python run_gx.py DATA.parquet RUNS` prints one JSON line: seconds per run and the failing
rows per check. The context, data source and suite are built once (GX's set-up cost is not
charged to validation); each timed run validates the in-memory DataFrame.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import warnings
from importlib.metadata import version
from typing import Any

import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bars on stderr
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)

import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402

COUNTRIES = ["US", "DE", "FR", "GB", "JP", "BR"]
STATUSES = ["new", "paid", "shipped", "cancelled"]
EMAIL_REGEX = r"^[a-z0-9._]+@[a-z0-9]+\.[a-z]{2,}$"
TYPES = {
    "event_id": "str",
    "user_id": "int64",
    "amount": "float64",
    "quantity": "int64",
    "country": "str",
    "status": "str",
    "email": "str",
    "ts": "datetime64[ms]",
    "discount": "float64",
    "referrer": "str",
}


def expectations() -> list[tuple[str, Any]]:
    between = gxe.ExpectColumnValuesToBeBetween
    in_set = gxe.ExpectColumnValuesToBeInSet
    out: list[tuple[str, Any]] = [
        (f"types:{c}", gxe.ExpectColumnValuesToBeOfType(column=c, type_=t))
        for c, t in TYPES.items()
    ]
    out += [
        (f"not_null_{c}", gxe.ExpectColumnValuesToNotBeNull(column=c))
        for c in TYPES
        if c != "referrer"
    ]
    out += [
        ("unique_event_id_rows", gxe.ExpectColumnValuesToBeUnique(column="event_id")),
        ("range_amount", between(column="amount", min_value=0, max_value=10_000)),
        ("range_quantity", between(column="quantity", min_value=1, max_value=100)),
        ("allowed_country", in_set(column="country", value_set=COUNTRIES)),
        ("allowed_status", in_set(column="status", value_set=STATUSES)),
        ("regex_email", gxe.ExpectColumnValuesToMatchRegex(column="email", regex=EMAIL_REGEX)),
        (
            "expression_discount",
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="amount", column_B="discount", or_equal=True
            ),
        ),
    ]
    return out


def main(path: str, runs: int) -> dict[str, Any]:
    loading = time.perf_counter()
    frame = pd.read_parquet(path)
    load_s = time.perf_counter() - loading
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("bench")
    asset = source.add_dataframe_asset("data")
    batch_definition = asset.add_batch_definition_whole_dataframe("all")
    named = expectations()
    suite = context.suites.add(gx.ExpectationSuite(name="bench"))
    names = {}
    for name, expectation in named:
        names[suite.add_expectation(expectation).id] = name
    seconds = []
    cpu = []
    counts: dict[str, int] = {}
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format="SUMMARY")
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        counts = {}
        for outcome in result.results:
            name = names[outcome.expectation_config.id]
            if name.startswith("types:"):
                if not outcome.success:
                    print(name, outcome.result, file=sys.stderr)
                counts["types"] = counts.get("types", 0) + (0 if outcome.success else len(frame))
                continue
            unexpected = int(outcome.result.get("unexpected_count") or 0)
            if unexpected or not name.startswith("not_null_") or name == "not_null_country":
                counts[name] = unexpected
    return {
        "tool": "great_expectations",
        "version": version("great_expectations"),
        "load_s": load_s,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "failing": counts,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
