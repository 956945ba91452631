from datetime import UTC, datetime

import cesdk
from cesdk.bindings import http

ev = cesdk.CloudEvent(
    type="com.example.types",
    source="/demo",
    id="1",
    time=datetime(2024, 5, 14, 9, 21, 7, tzinfo=UTC),
    extensions={
        "flag": True,  # Boolean
        "count": 7,  # Integer: 32-bit signed
        "label": "web",  # String
        "digest": b"\x00\x01\x02",  # Binary
        "expires": datetime(2024, 5, 15, tzinfo=UTC),  # Timestamp
    },
)

# Extensions keep their Python type; a datetime is kept as its RFC 3339 text.
assert ev["flag"] is True
assert ev["digest"] == b"\x00\x01\x02"
assert ev["expires"] == "2024-05-15T00:00:00Z"

# On the wire every value is its canonical string.
headers = http.to_binary(ev).headers
assert headers["ce-flag"] == "true"
assert headers["ce-count"] == "7"
assert headers["ce-digest"] == "AAEC"  # base64
assert headers["ce-time"] == "2024-05-14T09:21:07Z"
