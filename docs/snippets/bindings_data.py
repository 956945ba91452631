import cesdk
from cesdk.bindings import http, kafka, nats

ATTRS = {"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": "t"}


def data_of(content_type: str | None, body: bytes) -> object:
    headers = dict(ATTRS)
    if content_type is not None:
        headers["content-type"] = content_type
    return http.from_http(headers, body).data


# A JSON content type (*/json or */*+json) gives a JSON value.
assert data_of("application/json", b'{"reason":"BackOff"}') == {"reason": "BackOff"}
assert data_of("application/vnd.k8s+json", b"[1, 2]") == [1, 2]
# text/*, XML, or any type with a charset parameter gives str, decoded with that charset.
assert data_of("text/plain", b"BackOff") == "BackOff"
assert data_of("application/xml", b"<w/>") == "<w/>"
assert data_of("application/x-custom; charset=latin-1", b"\xe9") == "é"
# Everything else, and a body without Content-Type, gives bytes.
assert data_of("image/png", b"\x89PNG") == b"\x89PNG"
assert data_of(None, b"\x00\x01") == b"\x00\x01"

# A JSON content type over a body that is not JSON is a DecodeError.
try:
    data_of("application/json", b'{"reason":')
except cesdk.DecodeError as exc:
    caught = exc
else:
    raise AssertionError("expected DecodeError")
assert "declares JSON, but the body is not JSON" in str(caught)

# An empty body is "no data" in HTTP and NATS, which cannot tell empty from absent.
assert data_of("text/plain", b"") is cesdk.NO_DATA
assert nats.from_nats(nats.NatsMessage(ATTRS, b"")).data is cesdk.NO_DATA
# Kafka can: a null value is no data, an empty value is empty data.
headers = [("ce_" + name[3:], value.encode()) for name, value in ATTRS.items()]
assert kafka.from_kafka(kafka.KafkaMessage(None, None, headers)).data is cesdk.NO_DATA
assert kafka.from_kafka(kafka.KafkaMessage(None, b"", headers)).data == b""

# Encoding goes the other way: JSON data is written as JSON and, without a
# datacontenttype, labelled application/json; str is encoded in its charset.
ev = cesdk.CloudEvent(type="t", source="/s", data={"reason": "BackOff"})
assert http.to_binary(ev).headers["content-type"] == "application/json"
latin = cesdk.CloudEvent(
    type="t", source="/s", data="é", datacontenttype="text/plain; charset=latin-1"
)
assert http.to_binary(latin).body == b"\xe9"
