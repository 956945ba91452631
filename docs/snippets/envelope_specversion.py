import cesdk
from cesdk.formats import json

try:
    cesdk.CloudEvent(type="t", source="/s", specversion="0.3")
except cesdk.InvalidEventError as exc:
    caught = exc
else:
    raise AssertionError("expected InvalidEventError")
assert caught.errors["specversion"].startswith("specversion '0.3' is not supported")

# Decoders say the same about a 0.3 event they receive.
try:
    json.decode(b'{"specversion":"0.3","id":"1","source":"/s","type":"t"}')
except cesdk.DecodeError as exc:
    caught = exc
else:
    raise AssertionError("expected DecodeError")
assert isinstance(caught, cesdk.InvalidEventError)
assert "ask the producer for specversion '1.0'" in caught.errors["specversion"]
