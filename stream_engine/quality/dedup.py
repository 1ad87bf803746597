"""Uniqueness in a stream: de-duplication over a span of event time, kept in state.

A key is remembered from the first record that carries it until the partition's
watermark has moved ``span`` past the watermark at that moment; a record repeating a
remembered key is a duplicate. The rule is applied as if record by record in offset
order, so batch boundaries never change a verdict; the usual case (no key expiring and
reappearing inside one batch) is computed vectorized, the rare chains record by record.
A record re-read after a restart (offsets up to the state's) is judged against the key
registrations in force at its offset, kept for that purpose, so it gets its first verdict
and is never its own duplicate (docs/quality.md, "State and restarts").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from stream_engine.quality.checks.uniqueness import key_frame
from stream_engine.quality.checks.values import Mask
from stream_engine.quality.stream_state import QualityState

Ints = npt.NDArray[np.int64]


def key_strings(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple[pd.Series, Mask]:
    """One text key per row (join-key normalisation: 42 and "42" are one key), and nulls."""
    # The topology package builds on this one; import its key rule at call time.
    from stream_engine.topology.reference import lookup_key

    keys, has_null = key_frame(frame, columns)
    parts = []
    for c in columns:
        series = keys[c]
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred == "string":
            parts.append(series.astype(object))
        elif inferred == "integer":
            parts.append(series.astype(object).map(str, na_action="ignore"))
        else:
            parts.append(series.astype(object).map(lookup_key, na_action="ignore"))
    joined = parts[0]
    for part in parts[1:]:  # element-wise, over whole columns
        joined = joined + "\x1f" + part
    return joined.fillna(""), has_null


def find_duplicates(
    state: QualityState,
    rule: str,
    span_ms: int,
    keys: pd.Series,
    eligible: Mask,
    watermarks: Ints,
    offsets: Ints,
) -> Mask:
    """Mark duplicates among ``eligible`` rows and remember new keys in ``state``.

    ``watermarks[i]`` is the partition's watermark once row i is seen. Rows at offsets the
    state has already applied (re-read after a restart) come first in offset order and
    are judged one by one; they only occur right after a restart.
    """
    out = np.zeros(len(keys), dtype=bool)
    all_keys = keys.to_numpy(dtype=object)
    reread = eligible & (offsets <= state.offset)
    for pos in np.flatnonzero(reread).tolist():
        out[pos] = _judge_reread(state, rule, span_ms, all_keys[pos], watermarks[pos], offsets[pos])
    rows = np.flatnonzero(eligible & ~reread)
    if not len(rows):
        return out
    seen = state.seen.setdefault(rule, {})
    key = all_keys[rows]
    wm = watermarks[rows]
    off = offsets[rows]
    frame = pd.DataFrame({"key": key})
    first = ~frame["key"].duplicated().to_numpy()
    # Look up this batch's keys only: the state may remember far more.
    get = seen.get
    prior = [get(k) for k in key] if seen else [None] * len(key)
    has_prior = np.fromiter((p is not None for p in prior), dtype=bool, count=len(prior))
    pw = np.fromiter((p.wm if p is not None else 0 for p in prior), np.int64, len(prior))
    first_dup = first & has_prior & (wm < pw + span_ms)
    registers = first & ~first_dup
    # Every later row of a key compares with the key's registration at its first row.
    reference = pd.Series(np.where(registers, wm, pw)[first], index=key[first])
    ref = frame["key"].map(reference).to_numpy(dtype=np.int64)
    later_dup = ~first & (wm < ref + span_ms)
    dup = first_dup | later_dup
    chains = ~first & ~later_dup  # a key expired and came back within this batch
    state.remember_many(
        rule, key[registers].tolist(), wm[registers].tolist(), off[registers].tolist()
    )
    if chains.any():
        redo = set(key[chains].tolist())
        for pos in np.flatnonzero(np.isin(key, list(redo))).tolist():
            if first[pos]:
                continue  # already decided above, and registered if it registers
            k = key[pos]
            dup[pos] = bool(wm[pos] < state.seen[rule][k].wm + span_ms)
            if not dup[pos]:
                state.remember(rule, k, int(wm[pos]), int(off[pos]))
    out[rows] = dup
    return out


def _judge_reread(
    state: QualityState, rule: str, span_ms: int, key: str, wm: int, offset: int
) -> bool:
    """The verdict a re-read record had the first time, from the key's registrations."""
    seen = state.seen.setdefault(rule, {}).get(key)
    if seen is None:  # only when the re-read starts before the batches the state recalls
        state.remember(rule, key, int(wm), int(offset))
        return False
    in_force = None
    for registration in seen.registrations():
        if registration[1] > offset:
            break
        in_force = registration
    if in_force is None or in_force[1] == offset:  # none yet, or this record registered it
        return False
    return bool(wm < in_force[0] + span_ms)
