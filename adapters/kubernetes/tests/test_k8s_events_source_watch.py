"""KubernetesEventSource against the fake apiserver with the real client: list, watch, mapping.

The mapping follows the docs' table (docs/adapters/kubernetes.md "Event mapping"); ids
are CloudEvents core 1.0 §3.1.1 ``id``: unique per ``source`` for distinct events, the
same for a replay of one event (the dedup key is ``source`` + ``id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any

import kubernetes
import pytest

import cesdk
from cesdk.testing import CapturingSink, until
from cesdk_kubernetes import KubernetesEventSource
from cesdk_kubernetes.testing import FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_apiserver
from k8s_source_helpers import event_source, ids, nothing_more, take

__all__ = ["fake_apiserver"]


async def test_lists_existing_then_watches_new(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    before = fake.inject_events(3, type="Warning", reason="BackOff", message="restart {i}")
    async with event_source(fake, page_size=2) as source:
        listed = await take(source, 3)
        after = fake.inject_events(2, reason="Pulled")
        watched = await take(source, 2)
        await nothing_more(source, fake)
    uids = [e["metadata"]["uid"] for e in before + after]
    assert ids(listed + watched) == [f"{uid}.1" for uid in uids]
    # Paged list (limit=2: two pages), then one watch from the list's version.
    lists = [r for r in fake.requests if r.method == "GET" and r.path.endswith("/events")]
    assert [r.query.get("limit") for r in lists if "watch" not in r.query][:2] == ["2", "2"]
    assert any(r.query.get("allowWatchBookmarks") == "true" for r in lists)


async def test_event_mapping_table(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    [stored] = fake.inject_events(
        1,
        namespace="shop",
        type="Warning",
        reason="BackOff",
        message="back-off restarting",
        involved_kind="Pod",
        involved_name="web-1",
        component="kubelet",
    )
    async with event_source(fake, cluster_name="prod-eu") as source:
        [delivery] = await take(source, 1)
    event = delivery.event
    assert event is not None
    uid = stored["metadata"]["uid"]
    assert event.id == f"{uid}.1"
    assert event.type == "io.k8s.event.warning"
    assert event.source == "/k8s/prod-eu/shop"
    assert event.subject == "Pod/web-1"
    assert event.datacontenttype == "application/json"
    assert event.time is not None
    assert event.time.isoformat().startswith(stored["lastTimestamp"][:19])
    assert dict(event.extensions) == {
        "k8suid": uid,
        "k8sreason": "BackOff",
        "k8seventtype": "Warning",
        "k8skind": "Pod",
        "k8sname": "web-1",
        "k8snamespace": "shop",
        "k8scontroller": "kubelet",
        "k8scount": 1,
    }
    # data is the events.k8s.io/v1 object as the API sent it (camelCase, nulls kept).
    assert event.data["apiVersion"] == "events.k8s.io/v1"
    assert event.data["regarding"]["name"] == "web-1"
    assert event.data["note"] == "back-off restarting"
    assert event.data["deprecatedCount"] == 1
    assert "eventTime" in event.data
    assert event.data["eventTime"] is None
    assert delivery.raw.metadata["change"] == "LISTED"
    # The shipped templates read this data unchanged.
    text = cesdk.templates.default("slack").render(event)
    assert "BackOff" in str(text)
    assert "web-1" in str(text)


async def test_falls_back_to_core_v1_without_events_group() -> None:
    with FakeApiServer(disabled_groups={"events.k8s.io"}) as fake:
        [stored] = fake.inject_events(1, type="Normal", reason="Scheduled")
        async with event_source(fake) as source:
            [delivery] = await take(source, 1)
            assert source.group == ""
            fake.inject_events(1, reason="Pulled")
            [watched] = await take(source, 1)
        paths = {r.path for r in fake.requests}
    assert "/api/v1/events" in paths
    assert not any(p.startswith("/apis/events.k8s.io/v1/") for p in paths)
    event = delivery.event
    assert event is not None
    assert event.id == f"{stored['metadata']['uid']}.1"
    assert event.type == "io.k8s.event.normal"
    assert event.data["apiVersion"] == "v1"
    assert event.data["involvedObject"]["kind"] == "Pod"
    assert event["k8scontroller"] == "kubelet"
    assert watched.event is not None
    assert watched.event["k8sreason"] == "Pulled"


async def test_namespaces_limit_what_is_read(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    for namespace in ("team-a", "team-b", "team-c"):
        fake.inject_events(2, namespace=namespace, reason=f"In-{namespace}")
    async with event_source(fake, namespaces=["team-a", "team-b"]) as source:
        listed = await take(source, 4)
        fake.inject_events(1, namespace="team-c", reason="In-team-c")
        fake.inject_events(1, namespace="team-b", reason="In-team-b")
        [watched] = await take(source, 1)
        assert sorted(source.positions) == ["events/team-a", "events/team-b"]
    reasons = sorted(d.event["k8sreason"] for d in listed if d.event is not None)
    assert reasons == ["In-team-a", "In-team-a", "In-team-b", "In-team-b"]
    assert watched.event is not None
    assert watched.event.source == "/k8s/kubernetes/team-b"


async def test_field_and_label_selectors(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    fake.inject_events(2, type="Normal", reason="Pulled", labels={"team": "web"})
    fake.inject_events(2, type="Warning", reason="BackOff", labels={"team": "web"})
    fake.inject_events(2, type="Warning", reason="Failed", labels={"team": "db"})
    async with event_source(fake, field_selector="type=Warning", label_selector="team=web") as s:
        listed = await take(s, 2)
        fake.inject_events(1, type="Normal", reason="Pulled", labels={"team": "web"})
        fake.inject_events(1, type="Warning", reason="Unhealthy", labels={"team": "db"})
        fake.inject_events(1, type="Warning", reason="Evicted", labels={"team": "web"})
        [watched] = await take(s, 1)
    assert [d.event["k8sreason"] for d in listed if d.event] == ["BackOff", "BackOff"]
    assert watched.event is not None
    assert watched.event["k8sreason"] == "Evicted"
    queries = [r.query for r in fake.requests if r.path.endswith("/events")]
    assert all(q.get("fieldSelector") == "type=Warning" for q in queries)
    assert all(q.get("labelSelector") == "team=web" for q in queries)


async def test_count_increase_is_a_new_event_heartbeat_is_not(
    fake_apiserver: FakeApiServer,
) -> None:
    fake = fake_apiserver
    [legacy] = fake.inject_events(1, reason="BackOff", involved_name="legacy")
    [modern] = fake.inject_events(1, reason="Unhealthy", involved_name="modern")
    async with event_source(fake) as source:
        await take(source, 2)
        fake.repeat_event(legacy["metadata"]["name"], times=2)  # count 1 -> 3
        fake.repeat_event(modern["metadata"]["name"], series=True)  # series.count 2
        repeats = await take(source, 2)
        # client-go's 30-minute heartbeat: only lastObservedTime changes.
        fake.patch(
            "events",
            modern["metadata"]["name"],
            {"series": {"count": 2, "lastObservedTime": "2030-01-01T00:00:00.000000Z"}},
            namespace="default",
        )
        fake.patch("events", legacy["metadata"]["name"], {"message": "edited"}, namespace="default")
        await nothing_more(source, fake)
    assert ids(repeats) == [f"{legacy['metadata']['uid']}.3", f"{modern['metadata']['uid']}.2"]
    assert [d.event["k8scount"] for d in repeats if d.event] == [3, 2]
    modern_event = repeats[1].event
    assert modern_event is not None
    assert modern_event.data["series"]["count"] == 2
    # time is the series' lastObservedTime
    assert modern_event.time is not None
    assert modern_event.data["series"]["lastObservedTime"].startswith(
        modern_event.time.isoformat()[:19]
    )


async def test_deleted_events_produce_nothing(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    [old] = fake.inject_events(1, reason="Old")
    async with event_source(fake) as source:
        await take(source, 1)
        fake.delete("events", old["metadata"]["name"], namespace="default")
        await nothing_more(source, fake)


async def test_malformed_objects_are_undecodable_and_the_watch_goes_on(
    fake_apiserver: FakeApiServer,
) -> None:
    fake = fake_apiserver
    async with event_source(fake) as source:
        await fake.wait_for_watches_async(1)
        fake.create(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": "broken", "namespace": "default"},
                "involvedObject": {"kind": "Pod", "name": "web"},
                "count": "many",
                "reason": "Broken",
            }
        )
        [bad] = await take(source, 1)
        await nothing_more(source, fake)
    assert bad.event is None
    assert isinstance(bad.error, ValueError)
    assert "Event default/broken: deprecatedCount must be an integer" in str(bad.error)
    assert b'"many"' in bad.raw.body
    assert b"broken" in bad.raw.body
    assert bad.raw.metadata["change"] == "ADDED"


async def test_undecodable_goes_to_the_dead_letter_sink(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    fake.create(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "broken", "namespace": "default"},
            "series": "not an object",
        }
    )
    fake.inject_events(2, reason="Fine")
    delivered, dead = CapturingSink(), CapturingSink()
    pipeline = cesdk.Pipeline(event_source(fake), routes=[cesdk.Route(delivered)], dead_letter=dead)
    task = asyncio.create_task(pipeline.run(handle_signals=False))
    try:
        await until(lambda: len(delivered.events) == 2 and len(dead.events) == 1, timeout=10)
    finally:
        pipeline.stop()
        await task
    assert dead.events[0].type == "dev.cesdk.deadletter.undecodable"
    assert b"not an object" in dead.events[0].data
    assert "series must be an object" in dead.events[0]["deadletterreason"]


async def test_nack_redelivers_and_holds_the_position(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    fake.inject_events(2)
    async with event_source(fake) as source:
        first, second = await take(source, 2, ack=False)
        committed = source.positions.get("events/*")
        await second.ack()
        await first.nack()
        [again] = await take(source, 1, ack=False)
        assert again.event == first.event
        assert source.positions.get("events/*") == committed  # first still unsettled
        await again.ack()
        assert int(source.positions["events/*"]) >= int(second.raw.metadata["resourceVersion"])
        await nothing_more(source, fake)


async def test_pipeline_stops_within_two_seconds_mid_watch(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    fake.inject_events(3)
    sink = CapturingSink()
    source = event_source(fake, watch_timeout=3600)
    pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(sink)], dead_letter=CapturingSink())
    task = asyncio.create_task(pipeline.run(handle_signals=False))
    await until(lambda: len(sink.events) == 3, timeout=10)
    await fake.wait_for_watches_async(1)
    started = time.monotonic()
    pipeline.stop()
    async with asyncio.timeout(2):
        await task
    assert time.monotonic() - started < 2
    assert not any(t.is_alive() for t in source.threads)
    await until(lambda: fake.watch_count == 0, timeout=5)


async def test_cancelling_a_waiting_read_is_clean(fake_apiserver: FakeApiServer) -> None:
    async with event_source(fake_apiserver) as source:
        waiting = asyncio.ensure_future(anext(aiter(source)))
        await fake_apiserver.wait_for_watches_async(1)
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        fake_apiserver.inject_events(1)
        [delivery] = await take(source, 1)
    assert delivery.event is not None


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"api": "v2"}, "api must be"),
        ({"checkpoint": "s3://bucket/x"}, "unknown scheme"),
        ({"checkpoint": "configmap://only-namespace"}, "configmap://<namespace>/<name>"),
        ({"leader_election": {"lease": "ns/x", "retry_period": 20}}, "retry_period"),
        ({"cluster_name": "a/b"}, "cluster_name"),
    ],
)
def test_bad_options_are_named(options: dict[str, Any], text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(text)):
        KubernetesEventSource(**options)


async def test_a_ready_api_client_is_used_and_left_open(fake_apiserver: FakeApiServer) -> None:
    fake_apiserver.inject_events(1)
    with fake_apiserver.api_client() as api_client:
        async with KubernetesEventSource(api_client=api_client) as source:
            [delivery] = await take(source, 1)
        # still usable: the source did not close what it was given
        version = kubernetes.client.VersionApi(api_client).get_code()
        assert version.git_version == "v1.31.0"
    assert delivery.event is not None


def test_stream_lines_that_are_not_watch_events_are_undecodable() -> None:
    # The fake only sends well-formed lines; a proxy or a broken apiserver may not.
    from cesdk_kubernetes._events_source import EventDecoder
    from cesdk_kubernetes._listwatch import (
        DELIVER,
        SKIP,
        GoneError,
        ListWatchThread,
        StreamSpec,
    )

    thread = ListWatchThread(
        None,  # type: ignore[arg-type]  # no request is made
        StreamSpec("events/*", "/api/v1/events"),
        EventDecoder("c", 10),
        lambda batch: True,
        start_rv="1",
        emit_existing=True,
    )
    items = thread._lines(
        [
            b"<html>502 Bad Gateway</html>",
            b'{"type":"SURPRISE","object":{}}',
            b'{"type":"ADDED","object":{"kind":"Pod","metadata":{"uid":"u","resourceVersion":"5"}}}',
            b'{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}',
        ]
    )
    assert [item.kind for item in items] == [DELIVER, DELIVER, DELIVER, SKIP]
    assert [item.event for item in items[:3]] == [None, None, None]
    assert "not a watch event" in str(items[0].error)
    assert items[0].raw == b"<html>502 Bad Gateway</html>"
    assert "SURPRISE" in str(items[1].error)
    assert "expected an Event, got kind 'Pod'" in str(items[2].error)
    assert thread.rv == "7"
    with pytest.raises(GoneError):
        thread._lines([b'{"type":"ERROR","object":{"kind":"Status","code":410}}'])
    with pytest.raises(kubernetes.client.ApiException):
        thread._lines([b'{"type":"ERROR","object":{"kind":"Status","code":500}}'])


async def test_a_source_can_be_entered_again(fake_apiserver: FakeApiServer, tmp_path: Any) -> None:
    fake = fake_apiserver
    fake.inject_events(1)
    source = event_source(fake, checkpoint=f"file://{tmp_path / 'cp.json'}")
    async with source:
        first = await take(source, 1)
        await fake.wait_for_watches_async(1)
    assert source.threads == []
    later = fake.inject_events(1, reason="Later")
    async with source:
        second = await take(source, 1)
        await nothing_more(source, fake)
    assert ids(first) != ids(second)
    assert ids(second) == [f"{later[0]['metadata']['uid']}.1"]
