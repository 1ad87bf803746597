"""Contender (b): a Faust take() passthrough that does no work, the ceiling of a Faust worker."""

from __future__ import annotations

import os

from bench.apps.common import env_int, make_app, quiet_logging

app = make_app()
source = app.topic(os.environ["IN_TOPIC"], key_type=bytes, value_type=bytes)
sink = app.topic(os.environ["OUT_TOPIC"], key_type=bytes, value_type=bytes)
TAKE = env_int("TAKE_SIZE", 500)


@app.agent(source)
async def passthrough(stream):  # type: ignore[no-untyped-def]
    quiet_logging()
    async for values in stream.take(TAKE, within=0.2):
        for value in values:
            await sink.send(value=value)


if __name__ == "__main__":
    app.main()
