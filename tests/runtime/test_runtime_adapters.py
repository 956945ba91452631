"""The adapters built into core: file (JSON Lines, checkpoint), generator, console, memory.

DESIGN.md "Adapter contract"; issue 3 "Built-in adapters in core". JSON Lines carry one
structured-mode event per line (formats/json-format.md section 3).
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path

import pytest
from runtime_doubles import RecordingSink, make_event, run, stop_and_wait, wait_for_condition

import cesdk
from cesdk import (
    NO_DATA,
    CloudEvent,
    ConsoleSink,
    FileSink,
    FileSource,
    GeneratorSource,
    MemorySink,
    Pipeline,
    Route,
)
from cesdk.formats import json as json_format
from cesdk.testing import CapturingSink, MemorySource

UNDECODABLE = "dev.cesdk.deadletter.undecodable"


def _varied_events() -> list[CloudEvent]:
    return [
        make_event(1),
        make_event(2, data="plain text", datacontenttype="text/plain"),
        make_event(3, data=b"\x00\x01\xfe\xff"),
        make_event(
            4,
            data=NO_DATA,
            subject="pod/web-1",
            extensions={"partitionkey": "web-1", "count": 5, "urgent": True},
        ),
        make_event(5, data=None),  # JSON null, unlike no data
        make_event(6, data=[1, "two", {"three": 3.5}], time="2024-01-02T03:04:05.123456789Z"),
    ]


async def _write(path: Path, events: list[CloudEvent]) -> None:
    async with FileSink(path) as sink:
        for ev in events:
            await sink.send(ev)


def _offsets(path: Path) -> list[int]:
    """Byte offset of each line start, plus the end of the file."""
    offsets = [0]
    for line in path.read_bytes().splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets


# -- FileSink / FileSource --------------------------------------------------------------------


async def test_file_sink_writes_one_structured_event_per_line(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "out.jsonl"
    events = _varied_events()
    await _write(path, events)
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # every line ends with a newline
    assert lines[:-1] == [json_format.encode(ev) for ev in events]
    assert json.loads(lines[2])["data_base64"] == "AAH+/w=="


async def test_file_round_trip_through_a_pipeline(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    events = _varied_events()
    await _write(path, events)
    sink = CapturingSink()
    source = FileSource(path)
    await run(Pipeline(source, routes=[Route(sink)], dead_letter=CapturingSink(), concurrency=1))
    assert sink.events == events
    assert sink.events[3].data is NO_DATA
    assert sink.events[4].data is None
    assert sink.events[5].time == events[5].time


async def test_file_sink_appends_across_openings(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    await _write(path, [make_event(1)])
    await _write(path, [make_event(2)])
    assert [json_format.decode(x).id for x in path.read_bytes().splitlines()] == ["ev-1", "ev-2"]


async def test_file_sink_with_fsync(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    ev = make_event(1)
    async with FileSink(path, fsync=True) as sink:
        await sink.send(ev)
        assert path.read_bytes() == json_format.encode(ev) + b"\n"


async def test_undecodable_lines_become_undecodable_deliveries(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = [make_event(1), make_event(2)]
    lines = [
        json_format.encode(good[0]),
        b"this is not json",
        b"",
        b"{}",
        json_format.encode(good[1]),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    offsets = _offsets(path)
    sink, dead = CapturingSink(), CapturingSink()
    source = FileSource(path)
    await run(Pipeline(source, routes=[Route(sink)], dead_letter=dead, concurrency=1))
    assert sink.events == good
    assert [ev.type for ev in dead.events] == [UNDECODABLE, UNDECODABLE]
    assert [ev.data for ev in dead.events] == [b"this is not json", b"{}"]
    metadata = [json.loads(ev["deadlettermetadata"]) for ev in dead.events]
    assert metadata == [
        {"path": str(path), "offset": offsets[1]},
        {"path": str(path), "offset": offsets[3]},
    ]


async def test_file_source_delivery_carries_the_raw_line(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    ev = make_event(1)
    line = json_format.encode(ev)
    path.write_bytes(line + b"\r\n")
    async with FileSource(path) as source:
        delivery = await anext(aiter(source))
    assert delivery.raw.body == line
    assert delivery.event == ev
    assert delivery.error is None


async def test_checkpoint_resumes_after_the_acked_lines(tmp_path: Path) -> None:
    path, checkpoint = tmp_path / "events.jsonl", tmp_path / "events.checkpoint"
    await _write(path, [make_event(n) for n in range(10)])
    offsets = _offsets(path)
    async with FileSource(path, checkpoint=checkpoint) as source:
        lines = aiter(source)
        taken = [await anext(lines) for _ in range(6)]
        for delivery in taken[:4]:
            await delivery.ack()
        await lines.aclose()  # stopped midway: two deliveries never settled
    assert int(checkpoint.read_text()) == offsets[4]

    resumed = []
    async with FileSource(path, checkpoint=checkpoint) as source:
        async for delivery in source:
            assert delivery.event is not None
            resumed.append(delivery.event.id)
            await delivery.ack()
    # Acked lines are not delivered again; the unsettled ones are.
    assert resumed == [f"ev-{n}" for n in range(4, 10)]
    assert int(checkpoint.read_text()) == offsets[-1]


async def test_checkpoint_advances_over_the_contiguous_acked_prefix_only(tmp_path: Path) -> None:
    path, checkpoint = tmp_path / "events.jsonl", tmp_path / "cp"
    lines = [json_format.encode(make_event(n)) for n in range(4)]
    path.write_bytes(b"\n".join([lines[0], lines[1], b"", lines[2], lines[3]]) + b"\n")
    offsets = _offsets(path)  # line 2 is blank

    def committed() -> int | None:
        return int(checkpoint.read_text()) if checkpoint.exists() else None

    async with FileSource(path, checkpoint=checkpoint) as source:
        it = aiter(source)
        d0, d1, d2, d3 = [await anext(it) for _ in range(4)]
        await d2.ack()
        await d1.ack()
        assert committed() in (None, 0)  # line 0 is still unsettled
        await d0.ack()
        assert committed() == offsets[4]  # lines 0, 1, the blank line and line 2
        await d3.ack()
        assert committed() == offsets[5]
        with pytest.raises(StopAsyncIteration):
            await anext(it)


async def test_nacked_line_is_redelivered_and_holds_the_checkpoint(tmp_path: Path) -> None:
    path, checkpoint = tmp_path / "events.jsonl", tmp_path / "cp"
    await _write(path, [make_event(n) for n in range(3)])
    offsets = _offsets(path)
    async with FileSource(path, checkpoint=checkpoint) as source:
        it = aiter(source)
        d0, d1 = await anext(it), await anext(it)
        await d0.nack()
        await d1.ack()
        assert not checkpoint.exists() or checkpoint.read_text() == "0"
        again = await anext(it)
        assert again.event is not None
        assert again.event.id == "ev-0"
        await again.ack()
        assert int(checkpoint.read_text()) == offsets[2]
        last = await anext(it)
        assert last.event is not None
        assert last.event.id == "ev-2"
        await last.ack()
        with pytest.raises(StopAsyncIteration):
            await anext(it)
    assert int(checkpoint.read_text()) == offsets[3]


async def test_pipeline_stopped_midway_resumes_from_the_checkpoint(tmp_path: Path) -> None:
    path, checkpoint = tmp_path / "events.jsonl", tmp_path / "cp"
    await _write(path, [make_event(n) for n in range(12)])
    first_run: Pipeline | None = None

    def stop_after_four(ev: CloudEvent) -> None:
        if len(first.events) == 3 and first_run is not None:
            first_run.stop()  # the fourth delivery is being sent

    first = RecordingSink(stop_after_four)
    first_run = Pipeline(
        FileSource(path, checkpoint=checkpoint),
        routes=[Route(first)],
        dead_letter=CapturingSink(),
        concurrency=1,
    )
    async with asyncio.timeout(20):
        await first_run.run(handle_signals=False)  # returns once the sink has stopped it
    assert 4 <= len(first.events) < 12

    second = CapturingSink()
    await run(
        Pipeline(
            FileSource(path, checkpoint=checkpoint),
            routes=[Route(second)],
            dead_letter=CapturingSink(),
            concurrency=1,
        )
    )
    once = first.ids
    again = [e.id for e in second.events]
    assert set(once).isdisjoint(again)  # nothing acked in the first run comes back
    assert sorted(once + again, key=lambda i: int(i[3:])) == [f"ev-{n}" for n in range(12)]


async def test_file_source_follows_a_growing_file(tmp_path: Path) -> None:
    path = tmp_path / "growing.jsonl"
    await _write(path, [make_event(1)])
    sink = CapturingSink()
    pipeline = Pipeline(
        FileSource(path, follow=True, poll_interval=0.01),
        routes=[Route(sink)],
        dead_letter=CapturingSink(),
    )
    task = asyncio.create_task(run(pipeline))
    await sink.wait_for(1)
    with path.open("ab") as handle:
        handle.write(json_format.encode(make_event(2)) + b"\n")
        handle.write(json_format.encode(make_event(3))[:20])  # a partial line: not yet
        handle.flush()
        await sink.wait_for(2)
        handle.write(json_format.encode(make_event(3))[20:] + b"\n")
    await sink.wait_for(3)
    await stop_and_wait(pipeline, task)
    assert [e.id for e in sink.events] == ["ev-1", "ev-2", "ev-3"]


async def test_bad_checkpoint_is_reported(tmp_path: Path) -> None:
    path, checkpoint = tmp_path / "events.jsonl", tmp_path / "cp"
    await _write(path, [make_event(1)])
    checkpoint.write_text("not an offset")
    with pytest.raises(cesdk.CESDKError, match="delete it"):
        async with FileSource(path, checkpoint=checkpoint):
            pass


# -- GeneratorSource --------------------------------------------------------------------------


async def test_generator_emits_count_events_with_ids_and_data() -> None:
    source = GeneratorSource(
        4, type="dev.demo", source="/demo", id_prefix="g", data={"env": "prod"}
    )
    got = []
    async with source:
        async for delivery in source:
            assert delivery.event is not None
            got.append(delivery.event)
            await delivery.ack()
    assert [e.id for e in got] == ["g-0", "g-1", "g-2", "g-3"]
    assert [e.data for e in got] == [{"env": "prod", "n": n} for n in range(4)]
    assert {(e.type, e.source) for e in got} == {("dev.demo", "/demo")}


async def test_generator_re_emits_nacked_events() -> None:
    source = GeneratorSource(3)
    seen = []
    async with source:
        async for delivery in source:
            assert delivery.event is not None
            seen.append(delivery.event.id)
            if delivery.event.id == "gen-1" and seen.count("gen-1") == 1:
                await delivery.nack()
            else:
                await delivery.ack()
    assert sorted(seen) == ["gen-0", "gen-1", "gen-1", "gen-2"]


async def test_generator_through_a_pipeline() -> None:
    sink = CapturingSink()
    await run(Pipeline(GeneratorSource(50), routes=[Route(sink)], dead_letter=CapturingSink()))
    assert sorted(e.id for e in sink.events) == sorted(f"gen-{n}" for n in range(50))


async def test_generator_rate_spaces_the_events() -> None:
    sink = RecordingSink()
    start = time.monotonic()
    await run(
        Pipeline(GeneratorSource(5, rate=100), routes=[Route(sink)], dead_letter=CapturingSink())
    )
    assert len(sink.events) == 5
    # At most 100 per second: the n-th event is not emitted before n * 10 ms.
    early = [
        ev.id
        for ev, at in zip(sink.events, sink.sent_at, strict=True)
        if at - start < ev.data["n"] * 0.010 - 0.002
    ]
    assert early == []


# -- ConsoleSink ------------------------------------------------------------------------------


async def test_console_sink_renders_type_attributes_and_data() -> None:
    out = io.StringIO()
    ev = make_event(
        1,
        type="io.k8s.event.warning",
        subject="pod/web-1",
        data={"reason": "BackOff"},
        extensions={"partitionkey": "web-1"},
    )
    async with ConsoleSink(out) as sink:
        await sink.send(ev)
    text = out.getvalue()
    assert "\x1b[" not in text  # a StringIO is no terminal: no colour
    first, *rest = text.splitlines()
    assert "io.k8s.event.warning" in first
    body = "\n".join(rest)
    for name, value in [
        ("id", "ev-1"),
        ("source", "/tests/runtime"),
        ("subject", "pod/web-1"),
        ("partitionkey", "web-1"),
    ]:
        assert any(name in line and value in line for line in rest), name
    assert '"reason": "BackOff"' in body
    assert text.endswith("\n")


async def test_console_sink_colours_when_asked_and_summarises_bytes() -> None:
    out = io.StringIO()
    async with ConsoleSink(out, color=True) as sink:
        await sink.send(make_event(1, data=b"\x00" * 17))
    text = out.getvalue()
    assert "\x1b[1m" in text
    assert "<17 bytes>" in text


async def test_console_sink_defaults_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    async with ConsoleSink() as sink:
        await sink.send(make_event(1, data="hello console"))
    assert "hello console" in capsys.readouterr().out


# -- MemorySink / MemorySource channels ------------------------------------------------------


async def test_memory_sink_feeds_a_memory_source_channel() -> None:
    channel = f"test-{time.monotonic_ns()}"
    downstream = CapturingSink()
    reader = MemorySource(channel=channel)
    second = Pipeline(reader, routes=[Route(downstream)], dead_letter=CapturingSink())
    task = asyncio.create_task(run(second))
    writer = MemorySink(channel=channel)
    await run(
        Pipeline(
            MemorySource([make_event(1), make_event(2)]),
            routes=[Route(writer)],
            dead_letter=CapturingSink(),
        )
    )
    await downstream.wait_for(2)
    assert [e.id for e in writer.events] == ["ev-1", "ev-2"]
    reader.close()
    await wait_for_condition(task.done)
    assert sorted(e.id for e in downstream.events) == ["ev-1", "ev-2"]
