import cesdk
from cesdk.bindings import http, kafka
from cesdk.formats import json

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    subject="pod/web-1",
    data={"reason": "BackOff"},
    extensions={"partitionkey": "web-1"},
)

# The JSON format: one self-contained document.
assert json.decode(json.encode(ev)) == ev

# HTTP binary mode: attributes travel as ce- headers, the data as the body.
msg = http.to_binary(ev)
assert msg.headers["ce-subject"] == "pod/web-1"
assert msg.body == b'{"reason":"BackOff"}'
assert http.from_http(msg.headers, msg.body) == ev

# Kafka: the opt-in key mapper puts partitionkey into the record key.
record = kafka.to_binary(ev, key_mapper=kafka.partitionkey_mapper)
assert record.key == b"web-1"
assert kafka.from_kafka(record) == ev
