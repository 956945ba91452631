from dataclasses import dataclass

import cesdk
from cesdk.bindings import kafka

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    id="1",
    time=None,
    subject="pod/web-1",
    data="Back-off restarting failed container",
    datacontenttype="text/plain",
    extensions={"partitionkey": "web-1"},
)

# Binary mode: ce_ headers with UTF-8 bytes values (no percent-encoding in Kafka).
record = kafka.to_binary(ev)
assert record.headers == [
    ("ce_specversion", b"1.0"),
    ("ce_id", b"1"),
    ("ce_source", b"/k8s/prod"),
    ("ce_type", b"io.k8s.event.warning"),
    ("ce_subject", b"pod/web-1"),
    ("ce_partitionkey", b"web-1"),
    ("content-type", b"text/plain"),
]
assert record.value == b"Back-off restarting failed container"

# The key is yours to choose; by default there is none.
assert record.key is None
assert kafka.to_binary(ev, key="web-1").key == b"web-1"
# The opt-in key mapper copies partitionkey into the key; the event keeps partitionkey.
keyed = kafka.to_binary(ev, key_mapper=kafka.partitionkey_mapper)
assert keyed.key == b"web-1"
assert ("ce_partitionkey", b"web-1") in keyed.headers
# Decoding never turns the key into an attribute.
assert kafka.from_kafka(keyed) == ev

# Structured mode: the JSON format is the value.
structured = kafka.to_structured(ev, key_mapper=kafka.partitionkey_mapper)
assert structured.headers == [("content-type", b"application/cloudevents+json; charset=utf-8")]
assert kafka.from_kafka(structured) == ev


# from_kafka reads any record with .value and .headers, such as aiokafka's ConsumerRecord.
@dataclass
class ConsumerRecord:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


assert kafka.from_kafka(ConsumerRecord(b"web-1", record.value, record.headers)) == ev
