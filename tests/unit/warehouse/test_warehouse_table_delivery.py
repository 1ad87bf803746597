"""TableDelivery: backoff retries, one message when it gives up, rejections as dead letters."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from connectors.base import Rejection, Sink, SinkRow, SinkUnavailableError
from stream_engine.dlq import DeadLetter
from stream_engine.runtime.table_delivery import TableDelivery, _Target
from stream_engine.topology import BatchResult, Record
from stream_engine.topology.result import TableRow


class FlakySink(Sink):
    """Unavailable for the first `failures` flushes; rejects rows whose id is negative."""

    def __init__(self, failures: int) -> None:
        self.name = "flaky"
        self.failures = failures
        self.rows: list[SinkRow] = []
        self.written: list[dict[str, object]] = []

    def add(self, rows: Sequence[SinkRow]) -> None:
        self.rows.extend(rows)

    def reset(self) -> None:
        self.rows = []

    def close(self) -> None:
        pass

    def flush(self) -> list[Rejection]:
        if self.failures:
            self.failures -= 1
            raise SinkUnavailableError("connection refused")
        rows, self.rows = self.rows, []
        self.written += [r.values for r in rows if r.values["id"] >= 0]
        return [Rejection(r, "missing_reference", "no member") for r in rows if r.values["id"] < 0]


class Letters:
    def __init__(self) -> None:
        self.sent: list[DeadLetter] = []

    def send_dead_letters(self, letters: list[DeadLetter]) -> None:
        self.sent += letters


def _result(ids: list[int]) -> BatchResult:
    result = BatchResult("orders")
    for i in ids:
        rec = Record(b"k", b"{}", "orders", 0, i + 100, 0, ())
        result.table_rows.append(TableRow("flaky", {"id": i}, 0, rec))
        result.counters.records_in += 1
        result.counters.passed += 1
        result.counters.out["flaky"] += 1
    return result


def test_retries_with_exponential_backoff_then_writes_once() -> None:
    sink = FlakySink(failures=3)
    sleeps: list[float] = []
    delivery = TableDelivery({"flaky": _Target(sink, 60.0, 1)}, sleep=sleeps.append)
    letters = Letters()
    result = _result([1, 2, -3])
    delivery.deliver([result], letters)
    assert sleeps == [0.5, 1.0, 2.0]
    assert sink.written == [{"id": 1}, {"id": 2}]  # the retried batch is written once
    (letter,) = letters.sent
    assert (letter.reason, letter.stage, letter.offset) == ("missing_reference", "sink", 97)
    counters = result.counters
    assert counters.out["flaky"] == 2 and counters.dead[("sink", "missing_reference")] == 1
    assert counters.balanced()


def test_gives_up_after_retry_for_with_one_message() -> None:
    sleeps: list[float] = []
    delivery = TableDelivery(
        {"flaky": _Target(FlakySink(failures=99), 3.0, 1)}, sleep=sleeps.append
    )
    with pytest.raises(SinkUnavailableError) as info:
        delivery.deliver([_result([1])], Letters())
    assert str(info.value) == (
        "sink flaky still unavailable after 3s of retries: connection refused"
    )
    assert sleeps == [0.5, 1.0, 2.0]
