"""Hostile inputs shared by the AMQP, MQTT and WebSockets bad-input tests.

The same kinds of input as ``tests/test_bad_input.py`` uses for HTTP, Kafka and NATS:
text that is not JSON, every strict prefix of a valid event, 10 MB of garbage, 100,000
levels of nesting, bytes that are not UTF-8.
"""

from __future__ import annotations

import orjson

VALID_EVENT = orjson.dumps(
    {
        "specversion": "1.0",
        "id": "A234-1234-1234",
        "source": "/mycontext",
        "type": "com.example.someevent",
        "time": "2018-04-05T17:31:00Z",
        "subject": "s",
        "data": {"a": [1, 2, {"b": "c"}]},
    }
)

MALFORMED_JSON = [
    b"",
    b" ",
    b"{",
    b"}",
    b'{"id":}',
    b"{'id': '1'}",
    b'{"id":"1",}',
    b"nul",
    b"NaN",
    b'"unterminated',
    b"{}{}",
    b'{"a":1} x',
    b"\xef\xbb\xbf{}",
    b"5",
    b"null",
    b'"str"',
    b"{}",
]

INVALID_UTF8 = [
    b'{"specversion":"1.0","id":"\xff","source":"/s","type":"t"}',
    b'{"specversion":"1.0","id":"1","source":"/s","type":"t","data":"\xc0\xa0"}',
    b'{"specversion":"1.0","id":"1","source":"/s","type":"t","data":"\xed\xa0\x80"}',
    b"\xfe\xff\x00{",
]

TEN_MB = 10 * 1024 * 1024
OVERSIZED = [b"x" * TEN_MB, b'{"data":"' + b"a" * TEN_MB]  # garbage; never closed

NEST = 100_000
DEEP = [
    b'{"specversion":"1.0","id":"1","source":"/s","type":"t","data":'
    + b"[" * NEST
    + b"]" * NEST
    + b"}",
    b'{"a":' * NEST + b"1" + b"}" * NEST,
    b"[" * NEST,
]

DUPLICATE_KEYS = [
    b'{"specversion":"1.0","specversion":"1.0","id":"1","source":"/s","type":"t"}',
    b'{"specversion":"1.0","id":"1","source":"/s","type":"t","\\u0073ource":"/x"}',
]


def stable_id(value: object) -> str:
    """A short test id that is the same in every process."""
    text = repr(value)
    if " at 0x" in text:
        return f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."
