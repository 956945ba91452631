import cesdk
from cesdk.bindings import http

ev = cesdk.CloudEvent(type="t", source="/s", id="1", time=None, subject='Grüße, 100% "done"')

# Space, '"', '%' and everything outside printable ASCII are percent-encoded as UTF-8.
msg = http.to_binary(ev)
assert msg.headers["ce-subject"] == "Gr%C3%BC%C3%9Fe,%20100%25%20%22done%22"
assert http.from_http(msg.headers, msg.body).subject == 'Grüße, 100% "done"'

# Headers may come as a mapping or as (name, value) pairs, str or bytes (as ASGI gives
# them); names match case-insensitively.
raw = [
    (b"CE-SpecVersion", b"1.0"),
    (b"CE-ID", b"1"),
    (b"CE-Source", b"/s"),
    (b"CE-Type", b"t"),
    (b"Content-Type", b"text/plain"),
]
assert http.from_http(raw, b"hi").data == "hi"

# Older senders quoted values instead; quoted-strings are still accepted.
quoted = {"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": '"a b"'}
assert http.from_http(quoted, b"").type == "a b"

# In binary mode datacontenttype travels only as Content-Type.
try:
    http.from_http({**quoted, "ce-datacontenttype": "text/plain"}, b"")
except cesdk.DecodeError as exc:
    caught = exc
else:
    raise AssertionError("expected DecodeError")
assert "MUST NOT be present" in str(caught)
