import cesdk
from cesdk.bindings import http, kafka, nats
from cesdk.formats import json

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod/namespaces/shop",
    subject="pod/web-1",
    datacontenttype="application/json",
    data={"reason": "BackOff", "count": 7},
    extensions={
        "partitionkey": "web-1",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    },
)

# Each form, and the decoder that reads it back.
msg = http.to_binary(ev)
assert http.from_http(msg.headers, msg.body) == ev
msg = http.to_structured(ev)
assert http.from_http(msg.headers, msg.body) == ev
assert kafka.from_kafka(kafka.to_binary(ev, key_mapper=kafka.partitionkey_mapper)) == ev
assert kafka.from_kafka(kafka.to_structured(ev, key_mapper=kafka.partitionkey_mapper)) == ev
assert nats.from_nats(nats.to_binary(ev)) == ev
assert nats.from_nats(nats.to_structured(ev)) == ev
assert json.decode(json.encode(ev)) == ev

# An invalid event lists every problem; a malformed message raises DecodeError.
try:
    cesdk.CloudEvent(type="", source="k8s prod", time="yesterday")
except cesdk.InvalidEventError as exc:
    caught = exc
else:
    raise AssertionError("expected InvalidEventError")
assert sorted(caught.errors) == ["source", "time", "type"]
try:
    http.from_http(http.to_binary(ev).headers, b'{"reason": "Back')
except cesdk.DecodeError:
    pass
else:
    raise AssertionError("expected DecodeError")
