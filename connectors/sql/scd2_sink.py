"""Scd2Sink: a slowly changing dimension (Type 2 for tracked columns, Type 1 for the rest).

The table holds one row per version of a member: a surrogate key assigned by the
database, the natural key, the member's columns, and effective_date / expiration_date /
is_current. A change of a tracked column opens a version at the record's event time
(`effective_from` field, else the record's timestamp); other columns are Type 1: every
version of the member is overwritten in place with the newest value of the batch.
Redelivered records find their version already there and change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from connectors.base import BufferedSink, Rejection, SinkRow
from connectors.sql.database import Database, quote, split_table
from connectors.sql.scd2_plan import OPEN_END, Version, apply_version
from connectors.sql.types import Column, parse_timestamp, plan_columns, to_db

EFFECTIVE, EXPIRATION, CURRENT = "effective_date", "expiration_date", "is_current"


def default_surrogate(table: str) -> str:
    """dim_customer -> customer_sk."""
    return split_table(table)[1].removeprefix("dim_") + "_sk"


class Scd2Sink(BufferedSink):
    def __init__(
        self,
        name: str,
        db: Database,
        table: str,
        key: Sequence[str],
        tracked: Sequence[str],
        surrogate: str | None = None,
        effective_from: str | None = None,
        fields: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self.db = db
        self.table = table
        self.key = list(key)
        self.tracked = list(tracked)
        self.surrogate = surrogate or default_surrogate(table)
        self.effective_from = effective_from
        self.fields = list(fields) if fields is not None else None
        self.managed = frozenset({self.surrogate, EFFECTIVE, EXPIRATION, CURRENT})

    def close(self) -> None:
        self.db.close()

    def flush(self) -> list[Rejection]:
        rows = self._take()
        observed, rejected = self._observations(rows)
        if observed:
            with self.db.transaction():
                self._write(observed)
        return rejected

    def _observations(
        self, rows: list[SinkRow]
    ) -> tuple[list[tuple[dt.datetime, dict[str, Any]]], list[Rejection]]:
        observed: list[tuple[dt.datetime, dict[str, Any]]] = []
        rejected: list[Rejection] = []
        for row in rows:
            values = {
                k: v
                for k, v in row.values.items()
                if k not in self.managed and (self.fields is None or k in self._wanted)
            }
            missing = [k for k in self.key if values.get(k) is None]
            if missing:
                why = f"sink {self.name}: key {missing[0]!r} is missing or null"
                rejected.append(Rejection(row, "sink_error", why))
                continue
            raw = row.values.get(self.effective_from) if self.effective_from else row.timestamp_ms
            try:
                at = parse_timestamp(raw)
            except ValueError as exc:
                why = f"sink {self.name}: effective time {self.effective_from}: {exc}"
                rejected.append(Rejection(row, "sink_error", why))
                continue
            observed.append((at, values))
        observed.sort(key=lambda o: o[0])  # stable: arrival order among equal times
        return observed, rejected

    @property
    def _wanted(self) -> set[str]:
        return {*self.key, *self.tracked, *(self.fields or [])}

    def _write(self, observed: list[tuple[dt.datetime, dict[str, Any]]]) -> None:
        db, table = self.db, quote(self.table)
        columns, every = self._ensure_table([values for _, values in observed])
        kinds = {c.name: c for c in every}
        key_cols = [kinds[k] for k in self.key]
        latest: dict[tuple[Any, ...], dict[str, Any]] = {}
        for _, values in observed:
            converted = {c: to_db(values.get(c), kinds[c].kind) for c in kinds}
            latest[self._key_of(converted)] = converted
        db.stage("se_scd2_keys", key_cols, list(latest.values()))
        history = self._load(key_cols)
        removed: list[int] = []
        for at, values in observed:
            converted = {c: to_db(values.get(c), kinds[c].kind) for c in self.tracked}
            removed += apply_version(
                history.setdefault(self._key_of(values, kinds), []), converted, at
            )
        if removed:
            db.stage(
                "se_scd2_del",
                [Column(self.surrogate, "int")],
                [{self.surrogate: sk} for sk in removed],
            )
            db.execute(
                f"DELETE FROM {table} WHERE {quote(self.surrogate)} IN "
                f"(SELECT {quote(self.surrogate)} FROM se_scd2_del)"
            )
        type1 = [c for c in columns if c.name not in self.key and c.name not in self.tracked]
        updates, inserts = [], []
        for key, versions in history.items():
            for v in versions:
                if not v.changed:
                    continue
                row = {**dict(zip(self.key, key, strict=True)), **v.tracked}
                row |= {EFFECTIVE: v.effective, EXPIRATION: v.expiration, CURRENT: v.is_current}
                if v.sk is None:
                    inserts.append({**{c.name: latest[key].get(c.name) for c in type1}, **row})
                else:
                    updates.append({self.surrogate: v.sk, **row})
        tracked_cols = [kinds[c] for c in self.tracked if c in kinds]
        dates = [Column(EFFECTIVE, "timestamp"), Column(EXPIRATION, "timestamp")]
        dates.append(Column(CURRENT, "bool"))
        if updates:
            sets = [*tracked_cols, *dates[1:]]
            db.stage("se_scd2_upd", [Column(self.surrogate, "int"), *sets], updates)
            assign = ", ".join(f"{quote(c.name)} = u.{quote(c.name)}" for c in sets)
            db.execute(
                f"UPDATE {table} SET {assign} FROM se_scd2_upd u "
                f"WHERE {table}.{quote(self.surrogate)} = u.{quote(self.surrogate)}"
            )
        if inserts:
            cols = [*key_cols, *tracked_cols, *type1, *dates]
            db.stage("se_scd2_new", cols, inserts)
            names = ", ".join(quote(c.name) for c in cols)
            db.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM se_scd2_new")
        if type1:
            db.stage("se_scd2_t1", [*key_cols, *type1], list(latest.values()))
            assign = ", ".join(f"{quote(c.name)} = s.{quote(c.name)}" for c in type1)
            match = " AND ".join(f"{table}.{quote(k)} = s.{quote(k)}" for k in self.key)
            db.execute(f"UPDATE {table} SET {assign} FROM se_scd2_t1 s WHERE {match}")

    def _key_of(
        self, values: dict[str, Any], kinds: dict[str, Column] | None = None
    ) -> tuple[Any, ...]:
        if kinds is None:
            return tuple(values[k] for k in self.key)
        return tuple(to_db(values[k], kinds[k].kind) for k in self.key)

    def _load(self, key_cols: list[Column]) -> dict[tuple[Any, ...], list[Version]]:
        """Every version of the staged keys, oldest first."""
        keys = ", ".join("t." + quote(c.name) for c in key_cols)
        tracked = "".join(f", t.{quote(c)}" for c in self.tracked)
        match = " AND ".join(f"t.{quote(c.name)} = k.{quote(c.name)}" for c in key_cols)
        rows = self.db.fetch(
            f"SELECT t.{quote(self.surrogate)}, {keys}{tracked}, t.{EFFECTIVE}, t.{EXPIRATION} "
            f"FROM {quote(self.table)} t "
            f"WHERE EXISTS (SELECT 1 FROM se_scd2_keys k WHERE {match}) "
            f"ORDER BY {keys}, t.{EFFECTIVE}"
        )
        n = len(key_cols)
        history: dict[tuple[Any, ...], list[Version]] = {}
        for r in rows:
            tracked_values = dict(
                zip(self.tracked, r[1 + n : 1 + n + len(self.tracked)], strict=True)
            )
            effective, expiration = (_aware(x) for x in r[-2:])
            history.setdefault(tuple(r[1 : 1 + n]), []).append(
                Version(int(r[0]), tracked_values, effective, expiration)
            )
        return history

    def _ensure_table(self, values: list[dict[str, Any]]) -> tuple[list[Column], list[Column]]:
        """(the columns the batch writes, every member column of the table)."""
        db = self.db
        existing = {k: c for k, c in db.columns(self.table).items() if k not in self.managed}
        written, added = plan_columns(self.table, existing, values, self.managed)
        known = {c.name for c in [*existing.values(), *added]}
        added += [Column(c, "text") for c in self.tracked if c not in known]
        if not existing:
            self._create(added)
        else:
            for column in added:
                db.execute(
                    f"ALTER TABLE {quote(self.table)} ADD COLUMN {quote(column.name)} "
                    f"{db.type_of(column.kind)}"
                )
        return written, [*existing.values(), *added]

    def _create(self, columns: list[Column]) -> None:
        db = self.db
        sk = quote(self.surrogate)
        if db.dialect == "postgres":
            sk_def = f"{sk} bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
        else:
            sequence = quote(split_table(self.table)[1] + "_sk_seq")
            db.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence}")
            sk_def = f"{sk} BIGINT PRIMARY KEY DEFAULT nextval('{sequence[1:-1]}')"
        defs = [sk_def]
        defs += [
            f"{quote(c.name)} {db.type_of(c.kind)}" + (" NOT NULL" if c.name in self.key else "")
            for c in columns
        ]
        ts = db.type_of("timestamp")
        defs += [f"{EFFECTIVE} {ts} NOT NULL", f"{EXPIRATION} {ts} NOT NULL"]
        defs.append(f"{CURRENT} {db.type_of('bool')} NOT NULL")
        db.execute(f"CREATE TABLE IF NOT EXISTS {quote(self.table)} ({', '.join(defs)})")
        index = quote(split_table(self.table)[1] + "_key_idx")
        keys = ", ".join(quote(k) for k in self.key)
        db.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON {quote(self.table)} ({keys}, {EFFECTIVE})"
        )


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return OPEN_END
