"""Settlement: a delivery is acked only once every matching route delivered or dead-lettered
it, and nacked (never lost) when even the dead letter sink fails.

DESIGN.md "Delivery semantics": at least once, end to end; issue 3 "Delivery semantics".
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from runtime_doubles import RecordingSink, SwitchableSink, make_event, run, wait_for_condition

import cesdk
from cesdk import Dedupe, MemoryDedupStore, Pipeline, RawMessage, Route
from cesdk.formats import json as json_format
from cesdk.testing import CapturingSink, MemorySource


async def test_ack_waits_for_every_matching_route() -> None:
    gate = asyncio.Event()
    slow = RecordingSink(lambda ev: gate.wait())
    fast = RecordingSink()
    source = MemorySource([make_event(1)])
    pipeline = Pipeline(source, routes=[Route(slow), Route(fast)], dead_letter=CapturingSink())
    task = asyncio.create_task(run(pipeline))
    await wait_for_condition(lambda: fast.ids == ["ev-1"] and slow.in_flight == 1)
    # One route has delivered, the other has not: the delivery must stay unsettled.
    assert source.acked == []
    assert source.nacked == 0
    gate.set()
    await task
    assert slow.ids == ["ev-1"]
    assert [ev.id for ev in source.acked if ev is not None] == ["ev-1"]


async def test_dead_lettered_counts_as_settled() -> None:
    refused = CapturingSink(permanent=True)
    ok = CapturingSink()
    dead = CapturingSink()
    source = MemorySource([make_event(1), make_event(2)])
    await run(Pipeline(source, routes=[Route(ok), Route(refused)], dead_letter=dead))
    assert sorted(ev.id for ev in ok.events) == ["ev-1", "ev-2"]
    assert sorted(ev.id for ev in dead.events) == ["ev-1", "ev-2"]
    assert sorted(ev.id for ev in source.acked if ev is not None) == ["ev-1", "ev-2"]
    assert source.nacked == 0


async def test_failing_dead_letter_sink_nacks_and_nothing_is_lost() -> None:
    good = [make_event(n) for n in range(4)]
    bad = [make_event(n, subject="bad") for n in range(10, 12)]
    garbage = b"{this is not json"

    def refuse_bad(ev: cesdk.CloudEvent) -> None:
        if ev.subject == "bad":
            raise cesdk.PermanentDeliveryError("the receiver rejects this one")

    sink = RecordingSink(refuse_bad)
    dead = SwitchableSink(broken=True)
    source = MemorySource([*good[:2], bad[0], garbage, *good[2:], bad[1]])
    pipeline = Pipeline(source, routes=[Route(sink, name="main")], dead_letter=dead)
    task = asyncio.create_task(run(pipeline, timeout=30))

    # The three deliveries that need the dead letter sink are nacked, not acked.
    await wait_for_condition(lambda: source.nacked >= 3, timeout=15, what="three nacks")
    assert sorted(ev.id for ev in source.acked if ev is not None) == sorted(e.id for e in good)
    assert None not in source.acked  # the undecodable one was not acked either
    assert dead.events == []
    assert dead.failures >= 3
    assert pipeline.metrics.total("failed") >= 3
    assert not task.done()

    # The dead letter sink recovers: the redeliveries settle everything.
    dead.broken = False
    await task
    assert sorted(sink.ids) == sorted(e.id for e in good)
    assert {sink.attempts[e.id] for e in good} == {1}  # good ones were never re-sent
    lettered = sorted(ev.id for ev in dead.events if ev.type == "dev.cesdk.test")
    assert lettered == ["ev-10", "ev-11"]
    undecodable = [ev for ev in dead.events if ev.type == "dev.cesdk.deadletter.undecodable"]
    assert [ev.data for ev in undecodable] == [garbage]
    assert len(source.acked) == len(good) + len(bad) + 1


@pytest.mark.parametrize("dedupe", [True, False], ids=["dedupe", "no-dedupe"])
async def test_fan_out_redelivery_does_not_resend_to_a_route_that_succeeded(
    dedupe: bool,
) -> None:
    source = MemorySource([make_event(1)])
    first_try = True

    def flaky(ev: cesdk.CloudEvent) -> None:
        nonlocal first_try
        if first_try:
            first_try = False
            raise cesdk.PermanentDeliveryError("rejected once")

    steady = RecordingSink()
    fickle = RecordingSink(flaky)
    # The dead letter sink is down until the source has redelivered once: route
    # "fickle"'s failure therefore causes a redelivery of the whole delivery.
    dead = SwitchableSink(broken=lambda: source.nacked == 0)
    store = MemoryDedupStore()
    options = {"dedupe": Dedupe(store=store)} if dedupe else {}
    pipeline = Pipeline(
        source,
        routes=[Route(steady, name="steady", **options), Route(fickle, name="fickle", **options)],
        dead_letter=dead,
    )
    await run(pipeline)
    assert source.nacked == 1
    assert fickle.ids == ["ev-1"]
    assert fickle.attempts["ev-1"] == 2
    assert dead.events == []
    if dedupe:
        assert steady.ids == ["ev-1"]
        assert pipeline.metrics.counts[("steady", "deduplicated")] == 1
    else:
        # Without dedup the redelivery reaches the route again: the check above matters.
        assert steady.ids == ["ev-1", "ev-1"]


async def test_duplicate_input_is_delivered_once_with_dedupe() -> None:
    ev = make_event(7)
    copy = json_format.decode(json_format.encode(ev))
    sink = CapturingSink()
    source = MemorySource([ev, copy, make_event(8)])
    pipeline = Pipeline(
        source, routes=[Route(sink, dedupe=Dedupe())], dead_letter=CapturingSink(), concurrency=1
    )
    await run(pipeline)
    assert [e.id for e in sink.events] == ["ev-7", "ev-8"]
    assert pipeline.metrics.total("deduplicated") == 1
    assert len(source.acked) == 3


async def test_same_id_from_another_source_is_not_a_duplicate() -> None:
    sink = CapturingSink()
    source = MemorySource([make_event(1), make_event(1, source="/elsewhere")])
    await run(Pipeline(source, routes=[Route(sink, dedupe=Dedupe())], dead_letter=CapturingSink()))
    assert sorted(e.source for e in sink.events) == ["/elsewhere", "/tests/runtime"]


async def test_event_matching_no_route_is_acked_and_counted_as_filtered() -> None:
    sink = CapturingSink()
    source = MemorySource([make_event(1, subject="other"), make_event(2, subject="mine")])
    pipeline = Pipeline(
        source,
        routes=[Route(sink, filter=lambda ev: ev.subject == "mine")],
        dead_letter=CapturingSink(),
    )
    await run(pipeline)
    assert [e.id for e in sink.events] == ["ev-2"]
    assert len(source.acked) == 2
    assert pipeline.metrics.counts[("route0", "filtered")] == 1


async def test_a_sink_used_twice_is_entered_and_closed_once() -> None:
    shared = RecordingSink()
    source = MemorySource([make_event(1)])
    await run(
        Pipeline(
            source,
            routes=[Route(shared, name="a"), Route(shared, name="b")],
            dead_letter=shared,
        )
    )
    assert (shared.entered, shared.exited) == (1, 1)
    assert shared.ids == ["ev-1", "ev-1"]


async def test_default_dead_letter_is_a_jsonl_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = MemorySource([make_event(1)])
    await run(Pipeline(source, routes=[Route(CapturingSink(permanent=True), name="nope")]))
    lines = (tmp_path / "deadletter.jsonl").read_bytes().splitlines()
    assert len(lines) == 1
    dead = json_format.decode(lines[0])
    assert dead.id == "ev-1"
    assert dead["deadlettersink"] == "nope"


async def test_undecodable_and_valid_settle_independently() -> None:
    sink = CapturingSink()
    dead = CapturingSink()
    source = MemorySource([RawMessage(b"\xff\xfe"), make_event(1)])
    await run(Pipeline(source, routes=[Route(sink)], dead_letter=dead))
    assert [e.id for e in sink.events] == ["ev-1"]
    assert [e.data for e in dead.events] == [b"\xff\xfe"]
    assert len(source.acked) == 2


def test_route_names_default_by_position_and_must_differ() -> None:
    pipeline = Pipeline(
        MemorySource(),
        routes=[Route(CapturingSink()), Route(CapturingSink())],
        dead_letter=CapturingSink(),
    )
    assert [r.name for r in pipeline.routes] == ["route0", "route1"]
    with pytest.raises(ValueError, match="'x'"):
        Pipeline(
            MemorySource(),
            routes=[Route(CapturingSink(), name="x"), Route(CapturingSink(), name="x")],
            dead_letter=CapturingSink(),
        )


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        Pipeline(
            MemorySource(),
            routes=[Route(CapturingSink())],
            concurrency=0,
            dead_letter=CapturingSink(),
        )


async def test_run_without_routes_or_source_is_refused() -> None:
    with pytest.raises(ValueError, match="no routes"):
        await Pipeline(MemorySource(), dead_letter=CapturingSink()).run(handle_signals=False)
    with pytest.raises(ValueError, match="no source"):
        await Pipeline(routes=[Route(CapturingSink())], dead_letter=CapturingSink()).run(
            handle_signals=False
        )


async def test_fluent_form_filters_maps_and_delivers() -> None:
    sink = CapturingSink()
    source = MemorySource([make_event(1), make_event(2, subject="skip"), make_event(3)])
    pipeline = (
        Pipeline(source, dead_letter=CapturingSink())
        .filter(lambda ev: ev.subject != "skip")
        .map(lambda ev: ev.replace(team="sre"))
        .to(sink, name="out")
    )
    await run(pipeline)
    assert sorted(e.id for e in sink.events) == ["ev-1", "ev-3"]
    assert {e["team"] for e in sink.events} == {"sre"}
    assert [r.name for r in pipeline.routes] == ["out"]
    assert len(source.acked) == 3
