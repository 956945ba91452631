import cesdk
from cesdk.bindings import http, kafka, nats
from cesdk.formats import avro, protobuf

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    subject="pod/web-1",
    data={"reason": "BackOff", "count": 3},
)

# Structured mode in any format: the format's media type becomes the content type.
msg = http.to_structured(ev, format=protobuf)
assert msg.headers == {"content-type": "application/cloudevents+protobuf"}

# Receivers pick the format from the content type (cesdk.formats.lookup).
assert http.from_http(msg.headers, msg.body) == ev

record = kafka.to_structured(ev, key="web-1", format=avro)
assert kafka.from_kafka(record) == ev

message = nats.to_structured(ev, format=avro)
assert nats.from_nats(message) == ev

# Batches: JSON and Protobuf define them; Avro does not.
batch = http.to_batch([ev, ev], format=protobuf)
assert http.from_http_batch(batch.headers, batch.body) == [ev, ev]

# Formats are plugins too: a media type no installed format knows is a clear error.
try:
    http.from_http({"content-type": "application/cloudevents+xml"}, b"<event/>")
except cesdk.DecodeError as exc:
    caught = exc
else:
    raise AssertionError("expected DecodeError")
assert "no event format is registered for 'application/cloudevents+xml'" in str(caught)
