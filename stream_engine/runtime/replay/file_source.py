"""Files as a replay source: rows become records and go through the same decode path.

Each row is encoded the way the source topic would carry it (JSON, or Avro with the
source's schema), so decode, schema checks, quality, steps and windows see exactly what
they see live. A file is one partition (files in sorted path order get 0, 1, ...) unless
a partition column is named; a record's "offset" is its row number within its partition.
Without an `event_time` field, windows see a timestamp of 0 (files carry no Kafka
timestamp).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from connectors.files import data_files, iter_records
from stream_engine.runtime.replay.plan import PartitionRange
from stream_engine.runtime.replay.run import Chunk
from stream_engine.serde import EncodeError, Encoder, encode_key, make_encoder
from stream_engine.spec import PipelineSpec
from stream_engine.topology import Record
from stream_engine.topology.event_time import EventTimeError, event_time_ms


def _encoder(spec: PipelineSpec, source: str) -> Encoder | None:
    src = spec.sources[source]
    if src.format != "avro" or src.schema_file is None:
        return None
    return make_encoder("avro", schema=src.schema_file)


def _default(value: Any) -> Any:
    return str(value)


class RowEncoder:
    """A file row as the bytes, key and timestamp a Kafka record of the source would have."""

    def __init__(self, spec: PipelineSpec, source: str) -> None:
        src = spec.sources[source]
        self.key_field, self.time_field = src.key, src.event_time
        self.encoder = _encoder(spec, source)

    def record(self, value: dict[str, Any], origin: str, partition: int, offset: int) -> Record:
        raw: bytes
        try:
            raw = (
                self.encoder.encode(value)
                if self.encoder is not None
                else orjson.dumps(value, default=_default)
            )
        except (EncodeError, TypeError):
            # Not encodable as the source's format: JSON bytes, which decode then refuses,
            # so the row becomes a dead letter like a bad record on the topic would.
            raw = orjson.dumps(value, default=_default)
        try:
            key = None if self.key_field is None else encode_key(value.get(self.key_field))
        except EncodeError:
            key = None
        ts = 0
        if self.time_field is not None:
            try:
                ts = event_time_ms(value.get(self.time_field), self.time_field)
            except EventTimeError:
                ts = 0  # the window step dead-letters the record with the reason
        return Record(key, raw, origin, partition, offset, ts)


def file_chunks(
    spec: PipelineSpec,
    path: Path,
    *,
    source: str | None = None,
    partition_column: str | None = None,
    batch_size: int = 5000,
) -> Iterator[Chunk]:
    """Chunks of every partition of the files under `path`, for one source of the pipeline."""
    name = source or next(iter(spec.sources))
    rows = RowEncoder(spec, name)
    if partition_column is None:
        for index, file in enumerate(data_files(path)):
            part = PartitionRange(index, 0, 0, 1 << 62)
            yield from _chunks(name, part, _file_records(rows, file, index), batch_size)
        return
    by_partition: dict[int, list[Record]] = {}
    for rec in iter_records(path, partition_column=partition_column):
        p = rec.partition or 0
        bucket = by_partition.setdefault(p, [])
        bucket.append(rows.record(rec.value, str(rec.file), p, len(bucket)))
    for p, records in sorted(by_partition.items()):
        yield from _chunks(name, PartitionRange(p, 0, 0, len(records)), iter(records), batch_size)


def _file_records(rows: RowEncoder, file: Path, partition: int) -> Iterator[Record]:
    for rec in iter_records(file):
        yield rows.record(rec.value, str(file), partition, rec.row)


def _chunks(
    source: str, part: PartitionRange, records: Iterator[Record], size: int
) -> Iterator[Chunk]:
    """Batches of `size`; the last one (possibly empty) closes the partition."""
    batch: list[Record] = []
    for rec in records:
        batch.append(rec)
        if len(batch) >= size:
            yield Chunk(source, part, batch)
            batch = []
    yield Chunk(source, part, batch, last=True)
