import cesdk
from cesdk.bindings import websockets

# The client offers subprotocols in order of preference; the server picks the first one
# it supports (JSON always; Avro and Protobuf when their extras are installed).
assert "cloudevents.json" in websockets.supported_subprotocols()
assert websockets.negotiate("cloudevents.cbor, cloudevents.json") == "cloudevents.json"
assert websockets.negotiate(["chat"]) is None  # answer without Sec-WebSocket-Protocol

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning", source="/k8s/prod", id="1", time=None, data={"n": 1}
)

# JSON travels in text frames, Avro and Protobuf in binary frames.
frame = websockets.to_frame(ev, "cloudevents.json")
assert frame.kind == "text"
assert frame.payload == (
    '{"specversion":"1.0","id":"1","source":"/k8s/prod","type":"io.k8s.event.warning",'
    '"data":{"n":1}}'
)
assert websockets.from_frame(frame, "cloudevents.json") == ev
# A WebSocket library hands over a str for a text frame and bytes for a binary one.
assert websockets.from_frame(frame.payload, "cloudevents.json") == ev

# One event per message: the JSON batch format is not part of the binding.
try:
    websockets.from_frame("[]", "cloudevents.json")
except cesdk.DecodeError as exc:
    caught = exc
else:
    raise AssertionError("expected DecodeError")
assert "batch" in str(caught)
