import cesdk
from cesdk.bindings import http

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    id="1",
    time=None,
    subject="pod/web-1",
    data={"reason": "BackOff"},
)

# Binary mode: ce- headers, datacontenttype as Content-Type, data as the body.
binary = http.to_binary(ev)
assert binary.headers == {
    "ce-specversion": "1.0",
    "ce-id": "1",
    "ce-source": "/k8s/prod",
    "ce-type": "io.k8s.event.warning",
    "ce-subject": "pod/web-1",
    "content-type": "application/json",
}
assert binary.body == b'{"reason":"BackOff"}'

# Structured mode: the JSON format is the body.
structured = http.to_structured(ev)
assert structured.headers == {"content-type": "application/cloudevents+json; charset=utf-8"}

# from_http picks the mode from Content-Type, so one receiver handles both.
assert http.from_http(binary.headers, binary.body) == ev
assert http.from_http(structured.headers, structured.body) == ev

# Batched mode has its own pair of functions.
batch = http.to_batch([ev, ev.replace(id="2")])
assert batch.headers["content-type"].startswith("application/cloudevents-batch+json")
assert [e.id for e in http.from_http_batch(batch.headers, batch.body)] == ["1", "2"]
try:
    http.from_http(batch.headers, batch.body)
except cesdk.DecodeError as exc:
    caught = exc
else:
    raise AssertionError("expected DecodeError")
assert "use from_http_batch()" in str(caught)
