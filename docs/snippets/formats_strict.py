import cesdk
from cesdk.formats import json

# A member name given twice is refused: JSON parsers disagree about which one wins.
try:
    json.decode(b'{"specversion":"1.0","id":"1","id":"2","source":"/s","type":"t"}')
except cesdk.DecodeError as exc:
    caught = exc
else:
    raise AssertionError("expected DecodeError")
assert str(caught) == "member 'id' appears more than once"
assert caught.position == "id"

# Not JSON at all: the position is the character offset.
try:
    json.decode(b'{"specversion":')
except cesdk.DecodeError as exc:
    caught = exc
else:
    raise AssertionError("expected DecodeError")
assert caught.position == 15

# An array is a batch, not an event.
try:
    json.decode(b"[]")
except cesdk.DecodeError as exc:
    caught = exc
else:
    raise AssertionError("expected DecodeError")
assert "use decode_batch" in str(caught)
