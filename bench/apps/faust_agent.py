"""Contender (c): a plain per-event Faust agent doing by hand what the pipeline does.

decode JSON -> enrich from a dict loaded from the reference topic (missing: dead letter)
-> filter `amount >= 0 and kind != 'bot'` -> map amount_cents, kind_upper -> encode JSON
and send, one event at a time. Undecodable records go to the dead-letter topic. It uses
orjson, as stream-engine does, so the comparison is not about the JSON library.
"""

from __future__ import annotations

import os

import orjson

from bench.apps.common import make_app, quiet_logging
from connectors.kafka_reader import read_topic
from stream_engine.settings import Settings

FIELDS = ("segment", "tier")


def load_reference(topic: str) -> dict[str, dict[str, object]]:
    table: dict[str, dict[str, object]] = {}
    settings = Settings(kafka_bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"])
    for msg in read_topic(settings, topic):
        if msg.value is None:
            continue
        row = orjson.loads(msg.value)
        table[str(row["user_id"])] = row
    return table


app = make_app()
source = app.topic(os.environ["IN_TOPIC"], key_type=bytes, value_type=bytes)
sink = app.topic(os.environ["OUT_TOPIC"], key_type=bytes, value_type=bytes)
dlq = app.topic(os.environ["DLQ_TOPIC"], key_type=bytes, value_type=bytes)
USERS = load_reference(os.environ["REF_TOPIC"]) if os.environ.get("REF_TOPIC") else {}


@app.agent(source)
async def process(stream):  # type: ignore[no-untyped-def]
    quiet_logging()
    async for key, value in stream.items():
        try:
            event = orjson.loads(value)
        except orjson.JSONDecodeError:
            event = None
        if type(event) is not dict:
            await dlq.send(key=key, value=value, headers={"dlq.reason": b"decode"})
            continue
        row = USERS.get(str(event.get("user_id")))
        if row is None:
            await dlq.send(key=key, value=value, headers={"dlq.reason": b"missing_reference"})
            continue
        for f in FIELDS:
            event[f] = row.get(f)
        amount, kind = event.get("amount"), event.get("kind")
        if amount is None or amount < 0 or kind == "bot":
            continue
        event["amount_cents"] = amount * 100
        event["kind_upper"] = kind.upper() if isinstance(kind, str) else None
        await sink.send(key=key, value=orjson.dumps(event))


if __name__ == "__main__":
    app.main()
