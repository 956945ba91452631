import cesdk
from cesdk.formats import json

HEAD = '{"specversion":"1.0","id":"1","source":"/s","type":"t"'


def decode(rest: str) -> cesdk.CloudEvent:
    return json.decode(HEAD + rest + "}")


# No datacontenttype, or a JSON one (*/json, */*+json): "data" is a JSON value.
assert decode(',"data":{"a":1}').data == {"a": 1}
assert decode(',"datacontenttype":"application/vnd.k8s+json","data":[1]').data == [1]

# Any other datacontenttype: "data" must be a string, and stays a str.
assert decode(',"datacontenttype":"text/plain","data":"BackOff"').data == "BackOff"
try:
    decode(',"datacontenttype":"text/plain","data":{"a":1}')
except cesdk.DecodeError as exc:
    caught = exc
else:
    raise AssertionError("expected DecodeError")
assert "must be a string" in str(caught)

# "data_base64" always gives bytes; having both members is an error.
assert decode(',"data_base64":"AAE="').data == b"\x00\x01"
try:
    decode(',"data":1,"data_base64":"AAE="')
except cesdk.DecodeError as exc:
    caught = exc
else:
    raise AssertionError("expected DecodeError")
assert "mutually exclusive" in str(caught)
