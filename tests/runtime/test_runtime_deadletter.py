"""Dead letters: the original event plus why, how often and where it failed; undecodable
input as ``dev.cesdk.deadletter.undecodable`` carrying the raw bytes and headers.

DESIGN.md "Adapter contract" (a source never drops bad input) and "Delivery semantics"
(Dead letter); issue 3 "Delivery semantics".
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_doubles import make_event, run

import cesdk
from cesdk import FileSink, Pipeline, RawMessage, Retry, Route
from cesdk.formats import json as json_format
from cesdk.testing import CapturingSink, MemorySource

UNDECODABLE = "dev.cesdk.deadletter.undecodable"


def _rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("z", "Z"))


async def test_dead_letter_keeps_the_original_and_adds_the_four_extensions() -> None:
    original = cesdk.CloudEvent(
        type="io.k8s.event.warning",
        source="/k8s/prod",
        id="abc-1",
        subject="pod/web-1",
        time="2024-05-01T10:00:00.123456789Z",
        datacontenttype="application/json",
        dataschema="https://example.com/schema.json",
        data={"reason": "BackOff", "count": 3},
        extensions={"partitionkey": "web-1", "priority": 2, "urgent": True},
    )
    refused = CapturingSink(permanent=True)
    dead = CapturingSink()
    before = datetime.now(UTC)
    await run(
        Pipeline(MemorySource([original]), routes=[Route(refused, name="slack")], dead_letter=dead)
    )
    after = datetime.now(UTC)
    [letter] = dead.events
    for name, value in original.attributes.items():
        assert letter.attributes[name] == value, name
    assert letter.time == original.time  # nanoseconds included
    assert letter.data == {"reason": "BackOff", "count": 3}
    added = set(letter.attributes) - set(original.attributes)
    assert added == {"deadletterreason", "deadletterattempts", "deadlettersink", "deadlettertime"}
    assert letter["deadlettersink"] == "slack"
    assert letter["deadletterattempts"] == 1
    assert letter["deadletterreason"] == "permanent failure: CapturingSink refuses abc-1 for good"
    assert before <= _rfc3339(letter["deadlettertime"]) <= after


async def test_dead_letter_round_trips_through_the_jsonl_file(tmp_path: Path) -> None:
    original = make_event(1, data=b"\x00\x01binary", subject="s")
    path = tmp_path / "dl.jsonl"
    retry = Retry(max_attempts=2, initial_delay=0.001)
    await run(
        Pipeline(
            MemorySource([original]),
            routes=[Route(CapturingSink(fail=9), name="hook", retry=retry)],
            dead_letter=FileSink(path),
        )
    )
    [line] = path.read_bytes().splitlines()
    letter = json_format.decode(line)
    assert letter.data == b"\x00\x01binary"
    assert letter.subject == "s"
    assert letter["deadletterattempts"] == 2
    assert letter["deadlettersink"] == "hook"
    assert json.loads(line)["deadletterattempts"] == 2  # an Integer on the wire


async def test_undecodable_input_becomes_an_undecodable_dead_letter() -> None:
    raw = RawMessage(
        b"\x00garbage{not json",
        headers=(("content-type", "application/cloudevents+json"), ("x-trace", "t-1")),
        metadata={"topic": "alerts", "partition": 3, "offset": 42},
    )
    sink = CapturingSink()
    dead = CapturingSink()
    pipeline = Pipeline(
        MemorySource([raw]), routes=[Route(sink)], dead_letter=dead, name="k8s-alerts"
    )
    await run(pipeline)
    assert sink.events == []
    [letter] = dead.events
    assert letter.type == UNDECODABLE
    assert letter.source == "cesdk://pipeline/k8s-alerts"
    assert letter.data == b"\x00garbage{not json"
    assert letter.datacontenttype == "application/octet-stream"
    assert json.loads(letter["deadletterheaders"]) == [
        ["content-type", "application/cloudevents+json"],
        ["x-trace", "t-1"],
    ]
    assert json.loads(letter["deadlettermetadata"]) == {
        "topic": "alerts",
        "partition": 3,
        "offset": 42,
    }
    assert letter["deadletterreason"].startswith("undecodable")
    assert letter["deadletterattempts"] == 0
    assert pipeline.metrics.total("undecodable") == 1


async def test_undecodable_dead_letter_carries_data_base64_in_the_file(tmp_path: Path) -> None:
    body = bytes(range(256))
    path = tmp_path / "dl.jsonl"
    await run(
        Pipeline(MemorySource([body]), routes=[Route(CapturingSink())], dead_letter=FileSink(path))
    )
    [line] = path.read_bytes().splitlines()
    wire = json.loads(line)
    assert wire["type"] == UNDECODABLE
    assert base64.b64decode(wire["data_base64"]) == body


async def test_undecodable_reason_names_the_decode_error() -> None:
    dead = CapturingSink()
    # Valid JSON, but not a CloudEvent: no specversion.
    body = b'{"id": "1", "source": "/s", "type": "t"}'
    await run(Pipeline(MemorySource([body]), routes=[Route(CapturingSink())], dead_letter=dead))
    [letter] = dead.events
    assert letter.data == body
    assert "specversion" in letter["deadletterreason"]


async def test_long_headers_survive_in_the_undecodable_dead_letter() -> None:
    headers = (("x-long", "v" * 3000), ("x-short", "s"))
    dead = CapturingSink()
    await run(
        Pipeline(
            MemorySource([RawMessage(b"nope", headers=headers)]),
            routes=[Route(CapturingSink())],
            dead_letter=dead,
        )
    )
    [letter] = dead.events
    # "carrying the raw bytes and headers": the headers must come back whole.
    assert json.loads(letter["deadletterheaders"]) == [list(pair) for pair in headers]


# -- malformed input at scale ------------------------------------------------------------


def _malformed(rng: random.Random, n: int) -> bytes:
    kind = n % 8
    if kind == 0:
        return rng.randbytes(rng.randint(1, 64))
    if kind == 1:
        return b'{"specversion": "1.0", "id": "m%d"' % n  # truncated JSON
    if kind == 2:
        return b'{"specversion": "1.0", "id": "m%d", "source": "/s"}' % n  # no type
    if kind == 3:
        return b'{"specversion": "0.3", "id": "m%d", "source": "/s", "type": "t"}' % n
    if kind == 4:
        return b"[" * 2000 + b"]" * 2000  # nesting beyond any parser's depth
    if kind == 5:
        return b"\xff\xfe" + str(n).encode()  # not UTF-8
    if kind == 6:
        return b'{"specversion": "1.0", "id": "", "source": "/s", "type": "t"}'
    return b'"just a string %d"' % n


async def test_malformed_inputs_at_scale_are_dead_lettered_and_the_pipeline_lives_on() -> None:
    rng = random.Random(2024)
    valid = [make_event(n) for n in range(2000)]
    malformed = [_malformed(rng, n) for n in range(2000)]
    items: list[cesdk.CloudEvent | bytes] = []
    for ev, bad in zip(valid, malformed, strict=True):
        items += [json_format.encode(ev), bad]
    sink = CapturingSink()
    dead = CapturingSink()
    source = MemorySource(items)
    pipeline = Pipeline(source, routes=[Route(sink)], dead_letter=dead)
    await run(pipeline, timeout=30)
    # Valid events interleaved after every malformed one still arrived: it stayed alive.
    assert sorted(e.id for e in sink.events) == sorted(e.id for e in valid)
    assert all(e.type == UNDECODABLE for e in dead.events)
    assert sorted(e.data for e in dead.events) == sorted(malformed)
    assert pipeline.metrics.total("undecodable") == 2000
    assert len(source.acked) == 4000


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=200) | st.text(max_size=100).map(str.encode))
def test_any_bytes_are_delivered_or_dead_lettered_never_dropped(body: bytes) -> None:
    async def scenario() -> tuple[CapturingSink, CapturingSink, MemorySource]:
        sink, dead = CapturingSink(), CapturingSink()
        source = MemorySource([body])
        await run(Pipeline(source, routes=[Route(sink)], dead_letter=dead), timeout=10)
        return sink, dead, source

    sink, dead, source = asyncio.run(scenario())
    assert len(sink.events) + len(dead.events) == 1
    assert len(source.acked) == 1
    if dead.events:
        assert dead.events[0].type == UNDECODABLE
        assert dead.events[0].data == body
    else:
        assert sink.events[0] == json_format.decode(body)


async def test_undecodable_input_is_dead_lettered_whatever_the_pipeline_name() -> None:
    dead = CapturingSink()
    source = MemorySource([b"not json"])
    pipeline = Pipeline(
        source, routes=[Route(CapturingSink())], dead_letter=dead, name="k8s alerts"
    )
    await run(pipeline, timeout=5)
    assert [e.data for e in dead.events] == [b"not json"]
    assert len(source.acked) == 1


async def test_header_values_with_tabs_and_c1_controls_survive() -> None:
    headers = (("x-tab", "a\tb"), ("x-nel", "a\u0085b"))
    dead = CapturingSink()
    await run(
        Pipeline(
            MemorySource([RawMessage(b"nope", headers=headers)]),
            routes=[Route(CapturingSink())],
            dead_letter=dead,
        )
    )
    [letter] = dead.events
    assert json.loads(letter["deadletterheaders"]) == [list(pair) for pair in headers]


async def test_one_odd_metadata_value_does_not_wipe_the_metadata() -> None:
    metadata = {"topic": "alerts", "partition": 3, "key": b"k\xff".decode(errors="surrogateescape")}
    dead = CapturingSink()
    await run(
        Pipeline(
            MemorySource([RawMessage(b"nope", metadata=metadata)]),
            routes=[Route(CapturingSink())],
            dead_letter=dead,
        )
    )
    [letter] = dead.events
    kept = json.loads(letter["deadlettermetadata"])
    assert kept is not None
    assert kept["topic"] == "alerts"
    assert kept["partition"] == 3
