import cesdk
from cesdk.bindings import kafka

deleted = cesdk.CloudEvent(
    type="io.k8s.pod.deleted", source="/k8s/prod", extensions={"partitionkey": "web-1"}
)

# Binary mode: an event without data is a record without a value. On a compacted
# topic that record is a tombstone for its key.
record = kafka.to_binary(deleted, key_mapper=kafka.partitionkey_mapper)
assert record.value is None
assert kafka.from_kafka(record).data is cesdk.NO_DATA

# Kafka tells a null value from an empty one, so empty data survives the trip.
empty = deleted.replace(data=b"")
assert kafka.to_binary(empty).value == b""
assert kafka.from_kafka(kafka.to_binary(empty)).data == b""

# Structured mode always has a value (the JSON document), so it is never a tombstone.
assert kafka.to_structured(deleted).value is not None
