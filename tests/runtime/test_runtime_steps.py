"""Steps and filters: plain callables, sync or async, returning an event, a list or None;
route filters as callables, Subscriptions API filter dicts and CESQL text.

STYLE.md 10 (steps are plain callables); issue 3 "Composition API".
"""

from __future__ import annotations

import asyncio

import pytest
from runtime_doubles import make_event, run

from cesdk import CloudEvent, Pipeline, Route
from cesdk.testing import CapturingSink, MemorySource


async def _through(
    steps: list[object], events: list[CloudEvent], **pipeline_options: object
) -> tuple[CapturingSink, CapturingSink, MemorySource, Pipeline]:
    sink, dead = CapturingSink(), CapturingSink()
    source = MemorySource(events)
    pipeline = Pipeline(
        source,
        steps=steps,
        routes=[Route(sink)],
        dead_letter=dead,
        concurrency=1,
        **pipeline_options,
    )
    await run(pipeline)
    return sink, dead, source, pipeline


async def test_sync_step_returning_an_event() -> None:
    sink, dead, _, _ = await _through(
        [lambda ev: ev.replace(subject=f"seen/{ev.id}")], [make_event(1), make_event(2)]
    )
    assert [e.subject for e in sink.events] == ["seen/ev-1", "seen/ev-2"]
    assert dead.events == []


async def test_async_step_returning_an_event() -> None:
    async def enrich(ev: CloudEvent) -> CloudEvent:
        await asyncio.sleep(0)
        return ev.replace(team="payments")

    sink, _, _, _ = await _through([enrich], [make_event(1)])
    assert [e["team"] for e in sink.events] == ["payments"]


async def test_steps_apply_in_order() -> None:
    sink, _, _, _ = await _through(
        [lambda ev: ev.replace(subject="a"), lambda ev: ev.replace(subject=ev.subject + "b")],
        [make_event(1)],
    )
    assert [e.subject for e in sink.events] == ["ab"]


async def test_step_returning_a_list_fans_out() -> None:
    def split(ev: CloudEvent) -> list[CloudEvent]:
        return [ev.replace(id=f"{ev.id}-{part}") for part in ("a", "b", "c")]

    async def async_split(ev: CloudEvent) -> tuple[CloudEvent, ...]:
        return (ev, ev.replace(id=ev.id + "-copy"))

    sink, _, source, _ = await _through([split, async_split], [make_event(1)])
    assert sorted(e.id for e in sink.events) == sorted(
        f"ev-1-{p}{s}" for p in "abc" for s in ("", "-copy")
    )
    assert len(source.acked) == 1


async def test_step_returning_none_drops_the_event() -> None:
    sink, dead, source, pipeline = await _through(
        [lambda ev: None if ev.id == "ev-1" else ev], [make_event(1), make_event(2)]
    )
    assert [e.id for e in sink.events] == ["ev-2"]
    assert dead.events == []
    assert len(source.acked) == 2  # a dropped event is settled, not redelivered
    assert pipeline.metrics.total("dropped") == 1


async def test_step_returning_an_empty_list_drops_the_event() -> None:
    sink, dead, source, _ = await _through([lambda ev: []], [make_event(1)])
    assert sink.events == []
    assert dead.events == []
    assert len(source.acked) == 1


async def test_raising_step_dead_letters_and_the_pipeline_keeps_running() -> None:
    def picky(ev: CloudEvent) -> CloudEvent:
        if ev.id == "ev-2":
            raise ValueError("cannot enrich ev-2")
        return ev

    events = [make_event(n) for n in range(1, 5)]
    sink, dead, source, _ = await _through([picky], events)
    assert [e.id for e in sink.events] == ["ev-1", "ev-3", "ev-4"]
    [letter] = dead.events
    assert letter.id == "ev-2"
    assert letter.data == {"n": 2}
    assert "cannot enrich ev-2" in letter["deadletterreason"]
    assert "ValueError" in letter["deadletterreason"]
    assert letter["deadlettersink"] == "steps"
    assert len(source.acked) == 4


async def test_raising_async_step_dead_letters() -> None:
    async def broken(ev: CloudEvent) -> CloudEvent:
        raise KeyError("missing lookup")

    sink, dead, _, _ = await _through([broken], [make_event(1)])
    assert sink.events == []
    assert [e.id for e in dead.events] == ["ev-1"]
    assert "missing lookup" in dead.events[0]["deadletterreason"]


@pytest.mark.parametrize(
    ("garbage", "kind"),
    [(42, "int"), ("text", "str"), ({"id": "x"}, "dict"), ([1, 2], "list")],
)
async def test_step_returning_garbage_dead_letters_with_a_clear_reason(
    garbage: object, kind: str
) -> None:
    def wrong(ev: CloudEvent) -> object:
        return garbage

    sink, dead, source, _ = await _through([wrong], [make_event(1), make_event(2)])
    assert sink.events == []
    assert [e.id for e in dead.events] == ["ev-1", "ev-2"]
    reason = dead.events[0]["deadletterreason"]
    assert f"returned {kind}" in reason
    assert "wrong" in reason  # names the step
    assert "a CloudEvent, a list of them, or None" in reason
    assert len(source.acked) == 2


async def test_route_steps_apply_to_their_route_only() -> None:
    plain, tagged, dead = CapturingSink(), CapturingSink(), CapturingSink()
    await run(
        Pipeline(
            MemorySource([make_event(1)]),
            routes=[
                Route(plain, name="plain"),
                Route(tagged, name="tagged", steps=[lambda ev: ev.replace(channel="ops")]),
            ],
            dead_letter=dead,
        )
    )
    assert "channel" not in plain.events[0]
    assert tagged.events[0]["channel"] == "ops"


async def test_failing_route_step_dead_letters_for_that_route_only() -> None:
    def fail(ev: CloudEvent) -> CloudEvent:
        raise RuntimeError("template error")

    plain, other, dead = CapturingSink(), CapturingSink(), CapturingSink()
    source = MemorySource([make_event(1)])
    await run(
        Pipeline(
            source,
            routes=[Route(plain, name="plain"), Route(other, name="email", steps=[fail])],
            dead_letter=dead,
        )
    )
    assert [e.id for e in plain.events] == ["ev-1"]
    assert other.events == []
    [letter] = dead.events
    assert letter["deadlettersink"] == "email"
    assert "template error" in letter["deadletterreason"]
    assert len(source.acked) == 1


async def test_raising_route_filter_dead_letters() -> None:
    def nosy(ev: CloudEvent) -> bool:
        return ev["missingattribute"] == "x"  # KeyError: not set

    sink, dead = CapturingSink(), CapturingSink()
    await run(
        Pipeline(MemorySource([make_event(1)]), routes=[Route(sink, filter=nosy)], dead_letter=dead)
    )
    assert sink.events == []
    assert [e.id for e in dead.events] == ["ev-1"]
    assert "missingattribute" in dead.events[0]["deadletterreason"]


async def _routed(filter_: object, events: list[CloudEvent]) -> list[str]:
    sink, other = CapturingSink(), CapturingSink()
    source = MemorySource(events)
    await run(
        Pipeline(
            source,
            routes=[Route(sink, name="filtered", filter=filter_), Route(other, name="all")],
            dead_letter=CapturingSink(),
        )
    )
    assert sorted(e.id for e in other.events) == sorted(e.id for e in events)
    assert len(source.acked) == len(events)
    return sorted(e.id for e in sink.events)


_MIXED = [
    make_event(1, type="io.k8s.event.warning", subject="pod/web-1"),
    make_event(2, type="io.k8s.event.normal", subject="pod/web-2"),
    make_event(3, type="com.github.push", subject="repo/x"),
    make_event(4, type="io.k8s.event.warning", subject="node/n1"),
]


async def test_route_filter_callable() -> None:
    assert await _routed(lambda ev: ev.subject.startswith("pod/"), _MIXED) == ["ev-1", "ev-2"]


async def test_route_filter_subscriptions_dict() -> None:
    # Subscriptions API section 3.2.4: the "prefix" dialect.
    assert await _routed({"prefix": {"type": "io.k8s."}}, _MIXED) == ["ev-1", "ev-2", "ev-4"]


async def test_route_filter_subscriptions_list_means_all() -> None:
    spec = [{"prefix": {"type": "io.k8s."}}, {"exact": {"type": "io.k8s.event.warning"}}]
    assert await _routed(spec, _MIXED) == ["ev-1", "ev-4"]


async def test_route_filter_cesql_text() -> None:
    # CESQL 1.0: LIKE and boolean operators.
    expr = "type = 'io.k8s.event.warning' AND subject LIKE 'pod/%'"
    assert await _routed(expr, _MIXED) == ["ev-1"]


async def test_pipeline_filter_takes_a_dict_and_cesql() -> None:
    sink = CapturingSink()
    pipeline = (
        Pipeline(MemorySource(_MIXED), dead_letter=CapturingSink())
        .filter({"prefix": {"type": "io.k8s."}})
        .filter("subject LIKE 'pod/%'")
        .to(sink)
    )
    await run(pipeline)
    assert sorted(e.id for e in sink.events) == ["ev-1", "ev-2"]


def test_bad_filters_are_refused_when_the_route_is_built() -> None:
    with pytest.raises(ValueError):  # noqa: PT011  CESQL ParseError is a ValueError
        Route(CapturingSink(), filter="type = = 'x'")
    with pytest.raises(ValueError):  # noqa: PT011  InvalidFilterError is a ValueError
        Route(CapturingSink(), filter={"nosuchdialect": {"type": "x"}})
    with pytest.raises(TypeError, match="a filter is a callable"):
        Route(CapturingSink(), filter=42)


async def test_step_may_return_an_invalid_replacement_which_dead_letters() -> None:
    sink, dead, _, _ = await _through([lambda ev: ev.replace(source="")], [make_event(1)])
    assert sink.events == []
    [letter] = dead.events
    assert letter.source == "/tests/runtime"  # the original, not the broken one
    assert "InvalidEventError" in letter["deadletterreason"]
