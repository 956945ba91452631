from google.protobuf import any_pb2, timestamp_pb2

import cesdk
from cesdk.formats import protobuf

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    id="1",
    time="2024-05-14T11:21:07.123456789+02:00",
    data="Back-off restarting failed container",
    datacontenttype="text/plain",
    extensions={"retries": 3},
)
body = protobuf.encode(ev)
assert protobuf.decode(body) == ev  # time compares as an instant

# to_proto gives the io.cloudevents.v1.CloudEvent message itself (e.g. for gRPC).
msg = protobuf.to_proto(ev)
assert msg.attributes["time"].ce_timestamp.nanos == 123456789
assert msg.attributes["retries"].ce_integer == 3
assert msg.text_data == "Back-off restarting failed container"
assert protobuf.decode(body).attributes["time"] == "2024-05-14T09:21:07.123456789Z"

# A leap second has no google.protobuf.Timestamp: refused, never rounded.
try:
    protobuf.encode(ev.replace(time="2016-12-31T23:59:60Z"))
except cesdk.EncodeError as exc:
    caught = exc
else:
    raise AssertionError("expected EncodeError")
assert "leap second" in str(caught)

# Protobuf message data: a serialized google.protobuf.Any goes into proto_data.
packed = any_pb2.Any()
packed.Pack(timestamp_pb2.Timestamp(seconds=42))
proto_ev = ev.replace(data=packed.SerializeToString(), datacontenttype="application/protobuf")
assert protobuf.to_proto(proto_ev).WhichOneof("data") == "proto_data"
received = protobuf.decode(protobuf.encode(proto_ev))
unpacked = timestamp_pb2.Timestamp()
any_pb2.Any.FromString(received.data).Unpack(unpacked)
assert unpacked.seconds == 42

# Batches: one CloudEventBatch message.
assert protobuf.decode_batch(protobuf.encode_batch([ev, ev])) == [ev, ev]
