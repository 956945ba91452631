from datetime import datetime

import cesdk

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",  # REQUIRED
    source="/k8s/prod",  # REQUIRED, a URI-reference
    subject="pod/web-1",
    data={"reason": "BackOff"},
    extensions={"partitionkey": "web-1", "restarts": 7},
)

# id and time are filled in by the constructor: a UUID4 and "now" in UTC.
assert len(ev.id) == 36
assert isinstance(ev.time, datetime)
assert ev.time.tzinfo is not None
assert ev.specversion == "1.0"

# Core attributes are properties; every attribute is also reachable by name.
assert ev.subject == "pod/web-1"
assert ev["partitionkey"] == "web-1"
assert ev.get("traceparent") is None
assert "restarts" in ev
assert dict(ev.extensions) == {"partitionkey": "web-1", "restarts": 7}

# Unset optional attributes read as None; ev[name] raises KeyError instead.
assert ev.dataschema is None
try:
    ev["dataschema"]
except KeyError:
    pass
else:
    raise AssertionError("expected KeyError")

# Pass time=None for an event without a time; pass id= to choose the id.
quiet = cesdk.CloudEvent(type="t", source="/s", id="42", time=None)
assert quiet.time is None
assert quiet.id == "42"
