"""Reference readers and writers for the Avro and Protobuf formats' wire bytes.

Cases state Avro records and Protobuf messages as readable YAML; these functions turn
them into bytes, and bytes back into comparable values, with generic libraries driven
by the spec's own schemas: fastavro with ``cloudevents.avsc`` and the classes protoc
generates from ``cloudevents.proto`` (both shipped in ``cesdk.formats``, unchanged
from the spec). No cesdk encoding or decoding logic is involved.

Binary values in cases are ``{b64: "..."}`` mappings, as everywhere in the suite.
"""

from __future__ import annotations

import base64
import io
from typing import Any

__all__ = ["avro_read", "avro_write", "protobuf_read", "protobuf_write"]


def _with_bytes(value: Any) -> Any:
    """Replace every ``{b64: ...}`` mapping in a YAML value by its bytes."""
    if isinstance(value, dict):
        if set(value) == {"b64"}:
            return base64.b64decode(value["b64"], validate=True)
        return {k: _with_bytes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_bytes(v) for v in value]
    return value


def _with_b64(value: Any) -> Any:
    """Replace bytes by ``{b64: ...}`` mappings, so that records compare as YAML values."""
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {k: _with_b64(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_b64(v) for v in value]
    return value


def _avro_schema() -> Any:
    import fastavro

    from cesdk.formats import avro

    return fastavro.parse_schema(avro.schema())


def avro_write(record: Any) -> bytes:
    """Write a record of the spec's Avro schema in Avro binary encoding (schemaless)."""
    import fastavro

    stream = io.BytesIO()
    fastavro.schemaless_writer(stream, _avro_schema(), _with_bytes(record))
    return stream.getvalue()


def avro_read(raw: bytes) -> Any:
    """Read one record of the spec's Avro schema; bytes left over are an error."""
    import fastavro

    stream = io.BytesIO(raw)
    record = fastavro.schemaless_reader(stream, _avro_schema(), None)
    if stream.tell() != len(raw):
        raise ValueError(f"{len(raw) - stream.tell()} bytes follow the Avro record")
    return _with_b64(record)


def _message_class(batch: bool) -> Any:
    from cesdk.formats._pb import cloudevents_pb2

    return cloudevents_pb2.CloudEventBatch if batch else cloudevents_pb2.CloudEvent


def protobuf_write(mapping: Any, *, batch: bool = False) -> bytes:
    """Write a CloudEvent (or CloudEventBatch) given in protobuf's JSON mapping."""
    from google.protobuf import json_format

    message = json_format.ParseDict(mapping, _message_class(batch)())
    return message.SerializeToString()  # type: ignore[no-any-return]


def protobuf_read(raw: bytes, *, batch: bool = False) -> Any:
    """Read a CloudEvent (or CloudEventBatch) into protobuf's JSON mapping, field names
    as in the .proto (``spec_version``, ``ce_string``, ``binary_data``)."""
    from google.protobuf import json_format

    message = _message_class(batch).FromString(raw)
    return json_format.MessageToDict(message, preserving_proto_field_name=True)
