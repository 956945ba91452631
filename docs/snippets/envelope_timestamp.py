from datetime import UTC, datetime

import cesdk
from cesdk.formats import json

# A leap second and nanoseconds: valid RFC 3339 that datetime cannot hold.
ev = cesdk.CloudEvent(type="t", source="/s", time="2016-12-31T23:59:60.123456789Z")

stamp = ev.time
assert isinstance(stamp, cesdk.Timestamp)
assert isinstance(stamp, datetime)

# As a datetime it is the nearest value that datetime can hold ...
assert stamp == datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
# ... while the text is kept exactly, and is what every encoder writes back.
assert stamp.rfc3339 == "2016-12-31T23:59:60.123456789Z"
assert str(stamp) == "2016-12-31T23:59:60.123456789Z"
assert json.decode(json.encode(ev)).time.rfc3339 == "2016-12-31T23:59:60.123456789Z"

# Lowercase t and z are valid RFC 3339 too, and are kept as received.
assert cesdk.Timestamp.parse("2024-05-14t09:21:07z").rfc3339 == "2024-05-14t09:21:07z"

# A naive datetime has no time zone, so it is refused.
try:
    cesdk.CloudEvent(type="t", source="/s", time=datetime(2024, 5, 14))
except cesdk.InvalidEventError as exc:
    caught = exc
else:
    raise AssertionError("expected InvalidEventError")
assert "time" in caught.errors
