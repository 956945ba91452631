"""A NATS -> pipeline -> NATS bridge keeps every attribute, extension and data byte.

Events are drawn by Hypothesis; both content modes are checked (nats-protocol-binding.md
sections 3.1 binary and 3.2 structured).
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import nats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nats.aio.msg import Msg

import cesdk
from cesdk.bindings.nats import from_nats, to_binary
from cesdk.testing import CapturingSink, until
from cesdk_nats import NatsSink, NatsSource
from cesdk_nats.testing import NatsServer
from nats_helpers import make_stream

_RESERVED = {"id", "source", "type", "specversion", "time", "subject", "datacontenttype"}
_RESERVED |= {"dataschema", "data"}
# CloudEvents Strings: no control characters, surrogates or noncharacters.
_TEXT = st.text(
    st.characters(exclude_categories=("Cc", "Cs"), exclude_characters=["\ufffe", "\uffff"]),
    min_size=1,
    max_size=16,
).filter(lambda s: s == s.strip(" "))
_NAMES = st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True).filter(lambda n: n not in _RESERVED)
_VALUES = st.one_of(
    st.booleans(), st.integers(-(2**31), 2**31 - 1), _TEXT, st.binary(min_size=1, max_size=8)
)
_DATA = st.one_of(
    st.tuples(st.binary(min_size=1, max_size=64), st.just("application/octet-stream")),
    st.tuples(_TEXT, st.just("text/plain; charset=utf-8")),
    st.tuples(
        st.dictionaries(_TEXT, st.integers(-(2**63), 2**63 - 1), max_size=3),
        st.just("application/json"),
    ),
)


@st.composite
def _events(draw: st.DrawFn) -> cesdk.CloudEvent:
    data, content_type = draw(_DATA)
    optional: dict[str, Any] = {}
    if draw(st.booleans()):
        optional["subject"] = draw(_TEXT)
    if draw(st.booleans()):
        optional["dataschema"] = "https://example.com/schema/" + draw(
            st.from_regex(r"[a-z]{1,8}", fullmatch=True)
        )
    return cesdk.CloudEvent(
        type=draw(_TEXT),
        source="/" + draw(st.from_regex(r"[a-z0-9/]{0,12}", fullmatch=True)),
        id=draw(_TEXT),
        data=data,
        datacontenttype=content_type,
        extensions=draw(st.dictionaries(_NAMES, _VALUES, max_size=4)),
        **optional,
    )


async def _bridge(
    server: NatsServer, events: list[cesdk.CloudEvent], mode: Literal["binary", "structured"]
) -> list[cesdk.CloudEvent]:
    inbound, outbound = await make_stream(server), await make_stream(server)
    js = inbound.nc.jetstream()
    for event in events:
        message = to_binary(event)
        await js.publish(f"{inbound.prefix}.in", message.data, headers=message.headers)
    sink = NatsSink(f"{outbound.prefix}.out", servers=server.url, jetstream=True, mode=mode)
    dead = CapturingSink()
    source = NatsSource(
        f"{inbound.prefix}.>", servers=server.url, jetstream=True, durable="bridge",
        fetch_timeout=0.2,
    )  # fmt: skip
    received: list[cesdk.CloudEvent] = []

    async def keep(msg: Msg) -> None:
        received.append(from_nats(msg))

    nc = await nats.connect(server.url)
    sub = await nc.jetstream().subscribe(f"{outbound.prefix}.>", cb=keep, ordered_consumer=True)
    # Events with the same id are one event to the duplicate window: expect each once.
    expected = len({event.id for event in events})
    async with cesdk.Pipeline(
        source, routes=[cesdk.Route(sink)], dead_letter=dead, ordering="delivery"
    ):
        await until(lambda: len(received) >= expected, what=f"{expected} bridged events")
    assert not dead.events
    await sub.unsubscribe()
    for connection in (nc, inbound.nc, outbound.nc):
        await connection.close()
    return received


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(_events(), min_size=1, max_size=6),
    mode=st.sampled_from(["binary", "structured"]),
)
def test_bridge_preserves_events(
    nats_server: NatsServer, events: list[cesdk.CloudEvent], mode: Literal["binary", "structured"]
) -> None:
    received = asyncio.run(_bridge(nats_server, events, mode))
    first: dict[str, cesdk.CloudEvent] = {}
    for event in events:
        first.setdefault(event.id, event)
    assert {ev.id: ev for ev in received} == first
