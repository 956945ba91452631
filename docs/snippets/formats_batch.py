import cesdk
from cesdk.formats import json

events = [
    cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/prod", subject=f"pod/web-{n}")
    for n in (1, 2)
]

body = json.encode_batch(events)
assert json.BATCH_CONTENT_TYPE == "application/cloudevents-batch+json"
assert body.startswith(b"[{")
assert body.endswith(b"}]")
assert json.decode_batch(body) == events

# An empty batch is valid.
assert json.encode_batch([]) == b"[]"
assert json.decode_batch(b"[]") == []

# A bad item names its index.
try:
    json.decode_batch(b'[{"specversion":"1.0","id":"1","source":"/s","type":"t"}, {"id":"2"}]')
except cesdk.DecodeError as exc:
    caught = exc
else:
    raise AssertionError("expected DecodeError")
assert str(caught).startswith("batch item 1 carries an invalid CloudEvent")
assert isinstance(caught, cesdk.InvalidEventError)  # an InvalidMessageError: both at once
assert sorted(caught.errors) == ["source", "specversion", "type"]
