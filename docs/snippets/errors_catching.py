import cesdk
from cesdk.bindings import http


def receive(headers: dict[str, str], body: bytes) -> str:
    """What an HTTP endpoint might answer for one request."""
    try:
        event = http.from_http(headers, body)
    except cesdk.InvalidMessageError as exc:
        # The message decodes, but the event it carries is invalid: name each attribute.
        return "400 invalid event: " + ", ".join(sorted(exc.errors))
    except cesdk.DecodeError as exc:
        # Not a CloudEvent at all, or malformed: say where, when known.
        return f"400 cannot decode ({exc.position}): {exc}"
    return f"202 accepted {event.id}"


ok = {"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": "t"}
assert receive(ok, b"") == "202 accepted 1"
assert receive({**ok, "ce-source": "not a uri", "ce-time": "soon"}, b"") == (
    "400 invalid event: source, time"
)
assert receive({**ok, "ce-subject": "100%"}, b"").startswith("400 cannot decode (ce-subject)")
assert receive({"content-type": "text/plain"}, b"hello").startswith(
    "400 cannot decode (content-type): not a CloudEvent"
)

# Every deliberate error is a CESDKError; bad events and bad messages are ValueErrors.
for error in (cesdk.InvalidEventError, cesdk.DecodeError, cesdk.EncodeError):
    assert issubclass(error, cesdk.CESDKError)
    assert issubclass(error, ValueError)
assert issubclass(cesdk.MissingDependencyError, ImportError)
# InvalidMessageError is both: catch DecodeError alone and still read .errors.
assert issubclass(cesdk.InvalidMessageError, cesdk.DecodeError)
assert issubclass(cesdk.InvalidMessageError, cesdk.InvalidEventError)

# EncodeError: the event is valid, but this binding cannot write its data as declared.
ascii_only = cesdk.CloudEvent(
    type="t", source="/s", data="Grüße", datacontenttype="text/plain; charset=ascii"
)
try:
    http.to_binary(ascii_only)
except cesdk.EncodeError as exc:
    caught = exc
else:
    raise AssertionError("expected EncodeError")
assert "cannot be encoded as 'ascii'" in str(caught)
