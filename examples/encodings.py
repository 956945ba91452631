"""One Kubernetes warning as a CloudEvent, in every form cesdk speaks.

Run it with ``uv run python examples/encodings.py``. It builds one event, prints it in
the JSON format and in the HTTP, Kafka and NATS bindings (binary and structured mode),
decodes each form back and checks that the result equals the original. Then it shows one
invalid event and one malformed HTTP message being rejected. No network, no external
service: the bindings are sans-I/O, so every "message" here is a plain value. Exits 1 if
any round trip differs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

import orjson

import cesdk
from cesdk.bindings import http, kafka, nats
from cesdk.formats import json

EVENT = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod/namespaces/shop",
    id="5f0c9a52-6f1e-4d0b-9a53-1d2f4c7e8b90",
    time="2024-05-14T09:21:07.482913Z",
    subject="pod/web-1",
    datacontenttype="application/json",
    data={
        "reason": "BackOff",
        "message": "Back-off restarting failed container web in pod web-1",
        "count": 7,
    },
    extensions={
        "partitionkey": "web-1",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    },
)


def text(value: bytes | str | None) -> str:
    """Show a header value, key or body as text; bytes are UTF-8 here."""
    if value is None:
        return "(none)"
    return value.decode("utf-8") if isinstance(value, bytes) else value


def show_headers(pairs: Iterable[tuple[str, bytes | str]]) -> None:
    pairs = list(pairs)
    width = max(len(name) for name, _ in pairs)
    for name, value in pairs:
        print(f"    {name:<{width}}  {text(value)}")


def section(title: str) -> None:
    print()
    print(title)
    print("-" * len(title))


results: dict[str, bool] = {}


def check(form: str, decode: Callable[[], cesdk.CloudEvent]) -> None:
    """Decode one form back and print whether it equals the original event."""
    equal = decode() == EVENT
    results[form] = equal
    print(f"  check  {form:<17}  decoded == original: {equal}")


print("cesdk encodings: one Kubernetes BackOff warning in every form")

section("JSON format (application/cloudevents+json), pretty-printed")
body = json.encode(EVENT)
print(orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2).decode())
check("JSON format", lambda: json.decode(body))

section("HTTP binary: attributes in ce- headers, data in the body")
msg = http.to_binary(EVENT)
print("  headers")
show_headers(msg.headers.items())
print(f"  body\n    {text(msg.body)}")
check("HTTP binary", lambda: http.from_http(msg.headers, msg.body))

section("HTTP structured: the JSON format as the body")
structured = http.to_structured(EVENT)
print("  headers")
show_headers(structured.headers.items())
print(f"  body\n    ({len(structured.body)} bytes: the JSON format above, compact)")
check("HTTP structured", lambda: http.from_http(structured.headers, structured.body))

section("Kafka binary: key from partitionkey, ce_ headers, data as the value")
record = kafka.to_binary(EVENT, key_mapper=kafka.partitionkey_mapper)
print(f"  key\n    {text(record.key)}")
print("  headers")
show_headers(record.headers)
print(f"  value\n    {text(record.value)}")
check("Kafka binary", lambda: kafka.from_kafka(record))

section("Kafka structured: the JSON format as the value")
kstruct = kafka.to_structured(EVENT, key_mapper=kafka.partitionkey_mapper)
print(f"  key\n    {text(kstruct.key)}")
print("  headers")
show_headers(kstruct.headers)
print(f"  value\n    ({len(kstruct.value or b'')} bytes: the JSON format above)")
check("Kafka structured", lambda: kafka.from_kafka(kstruct))

section("NATS binary: every attribute a ce- header, datacontenttype included")
nmsg = nats.to_binary(EVENT)
print("  headers")
show_headers(nmsg.headers.items())
print(f"  data\n    {text(nmsg.data)}")
check("NATS binary", lambda: nats.from_nats(nmsg))

section("NATS structured: the JSON format as the payload")
nstruct = nats.to_structured(EVENT)
print("  headers")
show_headers(nstruct.headers.items())
print(f"  data\n    ({len(nstruct.data)} bytes: the JSON format above)")
check("NATS structured", lambda: nats.from_nats(nstruct))

section("An invalid event: every problem is reported at once")
try:
    cesdk.CloudEvent(
        type="",
        source="k8s prod",
        time="yesterday",
        extensions={"Trace-Id": "abc", "restarts": 2**40},
    )
    sys.exit("expected InvalidEventError")
except cesdk.InvalidEventError as exc:
    width = max(len(name) for name in exc.errors)
    for name, reason in exc.errors.items():
        print(f"  {name:<{width}}  {reason}")

section("A malformed HTTP message: the body is cut short")
try:
    http.from_http(msg.headers, msg.body[:30])
    sys.exit("expected DecodeError")
except cesdk.DecodeError as exc:
    print(f"  {type(exc).__name__}: {exc}")

section("Round trips")
for form, equal in results.items():
    print(f"  {form:<17}  {'equal' if equal else 'DIFFERENT'}")
sys.exit(0 if all(results.values()) else 1)
