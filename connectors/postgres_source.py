"""Incremental extraction from a PostgreSQL table by a (watermark, primary key) cursor.

Rows are read in (watermark, key) order, strictly after the stored cursor, so rows that
share a watermark value are never skipped at a page boundary. Rows whose watermark is
newer than the database's `now() - safety_lag` are left for the next run: a transaction
that stamped `updated_at` at its start but commits later becomes visible within the lag,
before the cursor moves past its rows. The cursor is saved (durably) only when the caller
says the page was delivered. Transient errors are retried with exponential backoff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import psycopg
from psycopg import sql

from connectors.base import Source, SourceUnavailableError, mask_dsn, plain_values
from connectors.cursor_store import Cursor, CursorKeeper
from stream_engine.errors import ConfigError

log = logging.getLogger(__name__)

MAX_DELAY_S = 8.0


class PostgresIncrementalSource(Source):
    def __init__(
        self,
        dsn: str,
        table: str,
        watermark: str,
        key: str,
        store: CursorKeeper,
        *,
        page_size: int = 1000,
        safety_lag_s: float = 5.0,
        retry_for_s: float = 30.0,
        name: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name or table
        self._dsn = dsn
        self.label = mask_dsn(dsn)
        self.table = table
        self.watermark = watermark
        self.key = key
        self.store = store
        self.page_size = page_size
        self.safety_lag_s = safety_lag_s
        self.retry_for_s = retry_for_s
        self._sleep = sleep
        self._conn: psycopg.Connection[Any] | None = None
        self.cursor = store.load(self.name)
        self._pending: Cursor | None = None

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """Pages of rows after the cursor; call `commit` after delivering each page."""
        upper = self._retrying(self._upper_bound)
        while True:
            after = self._pending or self.cursor
            rows: list[dict[str, Any]] = self._retrying(partial(self._page, after, upper))
            if not rows:
                return
            last = rows[-1]
            self._pending = Cursor(last[self.watermark], last[self.key])
            yield [plain_values(row) for row in rows]
            if len(rows) < self.page_size:
                return

    def commit(self) -> None:
        if self._pending is not None:
            self.store.save(self.name, self._pending)
            self.cursor = self._pending

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def null_watermark_rows(self) -> int:
        """Rows whose watermark is null: no cursor can reach them, so the caller warns."""
        query = sql.SQL("SELECT count(*) FROM {t} WHERE {wm} IS NULL").format(
            t=self._table(), wm=sql.Identifier(self.watermark)
        )
        row = self._retrying(lambda: self._connection().execute(query).fetchone())
        return int(row[0]) if row else 0

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=5)
        return self._conn

    def _table(self) -> sql.Composable:
        schema, _, name = self.table.rpartition(".")
        return sql.Identifier(schema, name) if schema else sql.Identifier(name)

    def _upper_bound(self) -> Any:
        """now() - safety lag for time watermarks (the database's clock); None otherwise."""
        conn = self._connection()
        query = sql.SQL("SELECT pg_typeof({wm})::text FROM {t} LIMIT 1").format(
            wm=sql.Identifier(self.watermark), t=self._table()
        )
        found = conn.execute(query).fetchone()
        if found is None or ("timestamp" not in found[0] and found[0] != "date"):
            return None
        row = conn.execute(
            "SELECT now() - make_interval(secs => %s)", (self.safety_lag_s,)
        ).fetchone()
        assert row is not None
        return row[0]

    def _page(self, after: Cursor | None, upper: Any) -> list[dict[str, Any]]:
        wm, key = sql.Identifier(self.watermark), sql.Identifier(self.key)
        conditions: list[sql.Composable] = []
        params: list[Any] = []
        if after is not None:
            conditions.append(sql.SQL("({wm}, {key}) > (%s, %s)").format(wm=wm, key=key))
            params += [after.watermark, after.key]
        if upper is not None:
            conditions.append(sql.SQL("{wm} <= %s").format(wm=wm))
            params.append(upper)
        where = (
            sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
        )
        query = sql.SQL("SELECT * FROM {t}{where} ORDER BY {wm}, {key} LIMIT %s").format(
            t=self._table(), where=where, wm=wm, key=key
        )
        params.append(self.page_size)
        cur = self._connection().cursor(row_factory=psycopg.rows.dict_row)
        return cur.execute(query, params).fetchall()

    def _retrying(self, read: Callable[[], Any]) -> Any:
        delay = 0.5
        deadline = time.monotonic() + self.retry_for_s
        while True:
            try:
                return read()
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                why = mask_dsn(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
                if time.monotonic() + delay > deadline:
                    raise SourceUnavailableError(
                        f"cannot read {self.table} from {self.label} after "
                        f"{self.retry_for_s:g}s of retries: {why}"
                    ) from None
                log.warning("reading %s failed, retrying in %.1fs: %s", self.table, delay, why)
                self._sleep(delay)
                delay = min(delay * 2, MAX_DELAY_S)
            except psycopg.Error as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ConfigError(f"cannot read {self.table}: {mask_dsn(first)}") from None
