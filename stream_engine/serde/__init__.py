"""Record values on Kafka: JSON objects, schemaless Avro and the Confluent wire format."""

from stream_engine.serde.avro_schema import AvroSchema, load_schema
from stream_engine.serde.base import Decoder, Encoder, decode_batch
from stream_engine.serde.errors import DecodeReason, EncodeError, RecordDecodeError
from stream_engine.serde.factory import Format, make_decoder, make_encoder
from stream_engine.serde.keys import decode_key, encode_key
from stream_engine.serde.registry import SchemaDirectory

__all__ = [
    "AvroSchema",
    "DecodeReason",
    "Decoder",
    "EncodeError",
    "Encoder",
    "Format",
    "RecordDecodeError",
    "SchemaDirectory",
    "decode_batch",
    "decode_key",
    "encode_key",
    "load_schema",
    "make_decoder",
    "make_encoder",
]
