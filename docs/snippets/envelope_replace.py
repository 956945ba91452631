import cesdk

payload = {"reason": "BackOff", "count": 1}
ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    subject="pod/web-1",
    data=payload,
    extensions={"partitionkey": "web-1"},
)

# The constructor takes a snapshot: changing the caller's dict later changes nothing.
payload["count"] = 2
assert ev.data == {"reason": "BackOff", "count": 1}

# Attributes cannot be assigned.
try:
    ev.subject = "pod/web-2"
except AttributeError:
    pass
else:
    raise AssertionError("expected AttributeError")

# replace() returns a new event and validates it again; the original is unchanged.
moved = ev.replace(subject="pod/web-2", partitionkey="web-2")
assert (moved.subject, moved["partitionkey"]) == ("pod/web-2", "web-2")
assert (ev.subject, ev["partitionkey"]) == ("pod/web-1", "web-1")
assert moved.id == ev.id  # everything not named is kept, id and time included

# None removes an optional attribute or an extension; extensions= replaces them all.
assert ev.replace(subject=None).subject is None
assert dict(ev.replace(extensions={"team": "shop"}).extensions) == {"team": "shop"}

try:
    ev.replace(source="not a uri")
except cesdk.InvalidEventError as exc:
    caught = exc
else:
    raise AssertionError("expected InvalidEventError")
assert list(caught.errors) == ["source"]
