"""SCD Type 2 history in memory: apply one observed version of a member to its versions.

Pure logic, no database: the sink loads the versions of the batch's keys, applies the
batch's records in event-time order, then writes back what changed. The rules:

- A record whose tracked columns equal those of the version valid at its event time
  changes nothing (a redelivered or repeated version is idempotent).
- Otherwise the valid version is split at the event time: it expires there, and a new
  version runs from the event time to where the old one ended (open-ended = current).
- A record older than the member's first version opens a version ending where the first
  one starts (or moves the first one's start back, when the values are the same).
- Two different records at the same event time: the later one wins in place (merging
  with the version before when it restores that version's values).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

OPEN_END = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
"""expiration_date of current versions (a date, not NULL, so range joins stay simple)."""


@dataclass
class Version:
    sk: int | None  # None until the database assigns one
    tracked: dict[str, Any]
    effective: dt.datetime
    expiration: dt.datetime = OPEN_END
    changed: bool = field(default=False, compare=False)

    @property
    def is_current(self) -> bool:
        return self.expiration == OPEN_END

    def covers(self, at: dt.datetime) -> bool:
        return self.effective <= at < self.expiration


def apply_version(versions: list[Version], tracked: dict[str, Any], at: dt.datetime) -> list[int]:
    """Record that the member had `tracked` values from `at` on (versions stay sorted).

    Returns the surrogate keys of stored versions that became redundant (to delete).
    """
    valid = next((v for v in versions if v.covers(at)), None)
    if valid is None:
        following = next((v for v in versions if v.effective > at), None)
        if following is not None and _same(following.tracked, tracked):
            following.effective = at  # the same values, known from earlier on
            following.changed = True
            return []
        end = following.effective if following is not None else OPEN_END
        versions.append(Version(None, dict(tracked), at, end, changed=True))
        versions.sort(key=lambda v: v.effective)
        return []
    if _same(valid.tracked, tracked):
        return []
    if valid.effective == at:
        previous = next((v for v in versions if v.expiration == at), None)
        if previous is not None and _same(previous.tracked, tracked):
            # Back to the previous version's values at the same instant: one version again.
            previous.expiration = valid.expiration
            previous.changed = True
            versions.remove(valid)
            return [] if valid.sk is None else [valid.sk]
        valid.tracked = dict(tracked)
        valid.changed = True
        return []
    new = Version(None, dict(tracked), at, valid.expiration, changed=True)
    valid.expiration = at
    valid.changed = True
    versions.insert(versions.index(valid) + 1, new)
    return []


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return all(_equal(old.get(k), v) for k, v in new.items())


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return float(a) == float(b)
    return bool(a == b)
