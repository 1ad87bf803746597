"""Minimal Faust worker for smoke tests: upper-cases values from IN_TOPIC into OUT_TOPIC.

It sends with Faust's own producer and no explicit partition, so the output partition is
the one Faust chooses for the key.
"""

import os

import faust

app = faust.App(
    os.environ["APP_ID"],
    broker=f"kafka://{os.environ['KAFKA_BOOTSTRAP_SERVERS']}",
    web_port=int(os.environ["WEB_PORT"]),
    web_host="127.0.0.1",
    datadir=os.environ["DATA_DIR"],
    topic_allow_declare=False,
    topic_disable_leader=True,
    broker_session_timeout=10,
    broker_heartbeat_interval=1,
    key_serializer="raw",
    value_serializer="raw",
)
source = app.topic(os.environ["IN_TOPIC"], key_type=bytes, value_type=bytes)
sink = app.topic(os.environ["OUT_TOPIC"], key_type=bytes, value_type=bytes)


@app.agent(source)
async def upper(stream):  # type: ignore[no-untyped-def]
    async for event in stream.events():
        await sink.send(
            key=event.key,
            value=event.value.upper(),
            headers={"seen-partition": str(event.message.partition).encode()},
        )


if __name__ == "__main__":
    app.main()
