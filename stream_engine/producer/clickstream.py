"""The clickstream example's data: users, page views, and a share of broken records.

Broken records come in five kinds, one per failure the pipeline must dead-letter:
undecodable bytes (`decode`), a wrong type (`schema`, from the quality rules), a negative
duration (`rule`), a repeated event (`duplicate`) and an unknown user
(`missing_reference`).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

SEGMENTS = ("free", "pro", "enterprise")
COUNTRIES = ("DE", "FR", "US", "BR", "IN", "JP")
PAGES = ("/", "/pricing", "/docs", "/blog", "/signup", "/checkout")
BAD_KINDS = ("undecodable", "wrong_type", "unknown_user", "negative_duration", "duplicate")


@dataclass(frozen=True)
class Event:
    key: bytes
    value: bytes
    kind: str  # page_view | click | one of BAD_KINDS


def users(count: int) -> Iterator[tuple[bytes, bytes]]:
    rng = random.Random(7)
    for i in range(count):
        user_id = f"u{i:05d}"
        row = {
            "user_id": user_id,
            "segment": rng.choice(SEGMENTS),
            "country": rng.choice(COUNTRIES),
        }
        yield user_id.encode(), orjson.dumps(row)


def events(
    count: int,
    user_count: int,
    bad_fraction: float,
    seed: int = 1,
    start_ms: int = 1_767_225_600_000,
) -> Iterator[Event]:
    """`count` events; about `bad_fraction` of them broken, the rest 80% views, 20% clicks."""
    rng = random.Random(seed)
    last: Event | None = None  # the latest good event, re-sent as a duplicate
    for i in range(count):
        user_id = f"u{rng.randrange(user_count):05d}"
        ts = start_ms + i * 50 + rng.randrange(0, 40)
        body: dict[str, object] = {
            "event_id": f"e{seed}-{i:08d}",
            "user_id": user_id,
            "event_type": "page_view" if rng.random() < 0.8 else "click",
            "url": rng.choice(PAGES),
            "duration_ms": (duration := rng.randrange(50, 120_000)),
            "ts": ts,
        }
        kind = str(body["event_type"])
        if rng.random() < bad_fraction:
            kind = BAD_KINDS[i % len(BAD_KINDS)]
            if kind == "duplicate" and last is not None:
                yield Event(last.key, last.value, kind)
                continue
            if kind == "duplicate":  # nothing to repeat yet: a good event after all
                kind = str(body["event_type"])
            if kind == "undecodable":
                yield Event(user_id.encode(), b"\xff\xfe{not json" + str(i).encode(), kind)
                continue
            if kind == "wrong_type":
                body["event_type"] = "page_view"
                body["duration_ms"] = "slow"
            elif kind == "negative_duration":
                body["duration_ms"] = -duration
            elif kind == "unknown_user":
                user_id = f"ghost-{i}"
                body["user_id"] = user_id
        event = Event(user_id.encode(), orjson.dumps(body), kind)
        if kind in ("page_view", "click"):
            last = event
        yield event


def expected_outcome(kinds: Counter[str]) -> dict[str, int]:
    """What the example pipeline must produce for generated events of these kinds."""
    return {
        "enriched": kinds["page_view"],
        "filtered": kinds["click"],
        "dead_letters": sum(kinds[k] for k in BAD_KINDS),
    }
