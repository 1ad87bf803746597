"""The Confluent wire format framing: magic byte 0, then the schema id as 4 big-endian bytes."""

from __future__ import annotations

import struct

from stream_engine.serde.errors import RecordDecodeError

MAGIC = 0
HEADER = struct.Struct(">BI")
HEADER_SIZE = HEADER.size


def frame(schema_id: int) -> bytes:
    """The 5-byte header that precedes the Avro body."""
    return HEADER.pack(MAGIC, schema_id)


def schema_id_of(data: bytes) -> int:
    """Read the schema id from a framed value; RecordDecodeError when the frame is wrong."""
    if len(data) < HEADER_SIZE:
        raise RecordDecodeError(
            f"value too short for the Confluent wire format: {len(data)} bytes, "
            f"the header alone takes {HEADER_SIZE}"
        )
    magic, schema_id = HEADER.unpack_from(data)
    if magic != MAGIC:
        hint = " (the value looks like JSON)" if magic in b"{[" else ""
        raise RecordDecodeError(
            f"bad magic byte 0x{magic:02x} for the Confluent wire format, expected 0x00{hint}"
        )
    return int(schema_id)
