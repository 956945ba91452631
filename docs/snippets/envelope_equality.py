from typing import Any

import cesdk


def event(**kwargs: Any) -> cesdk.CloudEvent:
    return cesdk.CloudEvent(type="t", source="/s", id="1", time=None, **kwargs)


# Attribute values compare by canonical string, as they would on the wire.
assert event(extensions={"count": 5}) == event(extensions={"count": "5"})
assert event(extensions={"flag": True}) == event(extensions={"flag": "true"})
assert event(extensions={"digest": b"\x00\x01"}) == event(extensions={"digest": "AAE="})

# datacontenttype compares case-insensitively (type, subtype and parameter names).
assert event(data="hi", datacontenttype="Text/Plain; Charset=utf-8") == event(
    data="hi", datacontenttype="text/plain; charset=utf-8"
)

# JSON data without a datacontenttype is exactly JSON data labelled application/json.
assert event(data={"a": 1}) == event(data={"a": 1}, datacontenttype="application/json")

# Bytes carry no such implied type.
assert event(data=b"\x01") != event(data=b"\x01", datacontenttype="application/octet-stream")

# Data compares by value and type: the text "1" is not the JSON number 1.
assert event(data={"a": 1, "b": 2}) == event(data={"b": 2, "a": 1})
assert event(data="1") != event(data=1)

# Equal events hash alike, so events work in sets and as dict keys.
assert len({event(extensions={"count": 5}), event(extensions={"count": "5"})}) == 1
