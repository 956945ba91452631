"""KubernetesEventSink against the fake apiserver: mapping, series aggregation, spam limit.

The Event rules are the apiserver's events.k8s.io/v1 validation (``ValidateEventCreate``:
required eventTime, reportingController, reportingInstance, action, reason; note at most
1 KiB) and client-go's ``tools/events`` recorder (isomorphic repeats become a ``series``)
and ``tools/record`` spam filter (burst 25, then one per 5 minutes per object).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import cesdk
from cesdk_kubernetes import KubernetesEventSink
from cesdk_kubernetes.testing import FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_apiserver

__all__ = ["fake_apiserver"]

EVENTS = "events.events.k8s.io"
MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def make_sink(fake: FakeApiServer, **options: Any) -> KubernetesEventSink:
    return KubernetesEventSink(
        kubeconfig=str(fake.kubeconfig_path), reporting_instance="notifier-0", **options
    )


def backoff(n: int = 0, **extensions: Any) -> cesdk.CloudEvent:
    return cesdk.CloudEvent(
        type="com.example.deploy.rollout-stuck",
        source="/ci",
        id=f"ev-{n}",
        subject="deployment/web",
        data={"message": "rollout has not progressed in 10 minutes", "n": n},
        extensions=extensions,
    )


async def test_creates_an_event_about_the_subject(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver) as sink:
        await sink.send(backoff(severity="error"))
    (event,) = fake_apiserver.list(EVENTS, "default")
    assert event["regarding"] == {
        "kind": "Deployment",
        "name": "web",
        "apiVersion": "apps/v1",
        "namespace": "default",
    }
    assert event["metadata"]["namespace"] == "default"
    assert event["metadata"]["name"].startswith("web.")
    assert event["reason"] == "RolloutStuck"  # the type's last segment, UpperCamelCase
    assert event["note"] == "rollout has not progressed in 10 minutes"
    assert event["type"] == "Warning"  # severity=error
    assert event["action"] == "Notify"
    assert event["reportingController"] == "cesdk.io/notifier"
    assert event["reportingInstance"] == "notifier-0"
    assert MICRO_TIME.match(event["eventTime"])
    assert event.get("series") is None
    assert sink.stats["created"] == 1


async def test_extensions_override_the_defaults(fake_apiserver: FakeApiServer) -> None:
    event = cesdk.CloudEvent(
        type="io.example.anything",
        source="/x",
        data="plain text note",
        extensions={
            "k8skind": "Widget",
            "k8sname": "w-1",
            "k8snamespace": "prod",
            "k8sapiversion": "example.com/v1",
            "k8sregardinguid": "1234",
            "k8sreason": "quota exceeded",
            "k8seventtype": "Normal",
            "k8saction": "Throttle",
        },
    )
    async with make_sink(fake_apiserver, reporting_controller="example.com/ops") as sink:
        await sink.send(event)
    assert fake_apiserver.list(EVENTS, "default") == []
    (got,) = fake_apiserver.list(EVENTS, "prod")
    assert got["regarding"] == {
        "kind": "Widget",
        "name": "w-1",
        "namespace": "prod",
        "apiVersion": "example.com/v1",
        "uid": "1234",
    }
    assert (got["reason"], got["type"], got["action"]) == ("QuotaExceeded", "Normal", "Throttle")
    assert got["note"] == "plain text note"
    assert got["reportingController"] == "example.com/ops"


async def test_cluster_scoped_object_gets_its_event_in_default(
    fake_apiserver: FakeApiServer,
) -> None:
    event = cesdk.CloudEvent(type="io.example.node.pressure", source="/x", subject="node/n1")
    async with make_sink(fake_apiserver, namespace="prod") as sink:
        await sink.send(event)
    (got,) = fake_apiserver.list(EVENTS)
    assert got["metadata"]["namespace"] == "default"
    assert "namespace" not in got["regarding"]
    assert got["regarding"]["kind"] == "Node"
    assert got.get("note", "") == ""  # omitempty, as the apiserver


async def test_note_template(fake_apiserver: FakeApiServer) -> None:
    template = "{{ data.n }} on {{ subject }}"
    async with make_sink(fake_apiserver, note_template=template) as sink:
        await sink.send(backoff(7))
    (got,) = fake_apiserver.list(EVENTS, "default")
    assert got["note"] == "7 on deployment/web"


async def test_long_note_is_cut_to_one_kib_on_a_character_boundary(
    fake_apiserver: FakeApiServer,
) -> None:
    text = "é" * 700 + "tail"  # 1404 bytes in UTF-8
    event = cesdk.CloudEvent(type="t.long", source="/x", subject="pod/p", data=text)
    async with make_sink(fake_apiserver) as sink:
        await sink.send(event)
    (got,) = fake_apiserver.list(EVENTS, "default")
    note = got["note"]
    assert len(note.encode("utf-8")) <= 1024
    assert note.endswith("…")
    assert note[:-1] == "é" * len(note[:-1])  # no half character before the mark
    assert len(note) > 500


async def test_unmappable_event_is_a_permanent_error(fake_apiserver: FakeApiServer) -> None:
    event = cesdk.CloudEvent(type="t.x", source="/x", data="no object named")
    async with make_sink(fake_apiserver) as sink:
        with pytest.raises(cesdk.PermanentDeliveryError, match="k8skind and k8sname"):
            await sink.send(event)
    assert fake_apiserver.list(EVENTS) == []


async def test_repeats_become_a_series(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver) as sink:
        fake_apiserver.clear_requests()
        for n in range(4):
            await sink.send(backoff(n).replace(data="same note"))
    (got,) = fake_apiserver.list(EVENTS, "default")
    assert got["series"]["count"] == 4
    assert MICRO_TIME.match(got["series"]["lastObservedTime"])
    assert got["series"]["lastObservedTime"] >= got["eventTime"]
    writes = [r.method for r in fake_apiserver.requests if "/events" in r.path]
    assert writes == ["POST", "PATCH", "PATCH", "PATCH"]
    patch = next(r for r in fake_apiserver.requests if r.method == "PATCH")
    assert patch.headers["content-type"].startswith("application/merge-patch+json")
    assert (sink.stats["created"], sink.stats["series_updated"]) == (1, 3)


async def test_first_repeat_sets_count_two(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver) as sink:
        await sink.send(backoff(1).replace(data="x"))
        (first,) = fake_apiserver.list(EVENTS, "default")
        assert first.get("series") is None
        await sink.send(backoff(2).replace(data="x"))
    (got,) = fake_apiserver.list(EVENTS, "default")
    assert got["series"]["count"] == 2


async def test_different_note_or_type_is_a_new_event(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver) as sink:
        await sink.send(backoff(1).replace(data="a"))
        await sink.send(backoff(2).replace(data="b"))
        await sink.send(backoff(3, severity="error").replace(data="b"))
        await sink.send(backoff(4).replace(subject="deployment/api", data="a"))
    got = fake_apiserver.list(EVENTS, "default")
    assert len(got) == 4
    assert all(e.get("series") is None for e in got)


async def test_after_the_window_a_repeat_is_a_new_event(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver, aggregate_window=0.0) as sink:
        await sink.send(backoff(1).replace(data="x"))
        await sink.send(backoff(2).replace(data="x"))
    assert len(fake_apiserver.list(EVENTS, "default")) == 2


async def test_a_new_sink_starts_a_new_event(fake_apiserver: FakeApiServer) -> None:
    """The series cache is in memory: after a restart the first repeat creates an Event."""
    async with make_sink(fake_apiserver) as sink:
        await sink.send(backoff(1).replace(data="x"))
    async with make_sink(fake_apiserver) as sink:
        await sink.send(backoff(2).replace(data="x"))
    assert len(fake_apiserver.list(EVENTS, "default")) == 2


async def test_spam_limit_drops_over_the_burst(
    fake_apiserver: FakeApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_sink(fake_apiserver, spam_burst=3) as sink:
        for n in range(5):
            await sink.send(backoff(n).replace(data=f"note {n}"))  # distinct: no series
        await sink.send(backoff(9).replace(subject="pod/other", data="other object"))
    notes = sorted(e["note"] for e in fake_apiserver.list(EVENTS, "default"))
    assert notes == ["note 0", "note 1", "note 2", "other object"]
    assert sink.stats["spam_dropped"] == 2
    assert "over the spam limit" in caplog.text


async def test_spam_limit_counts_series_repeats_too(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver, spam_burst=2) as sink:
        for n in range(4):
            await sink.send(backoff(n).replace(data="same"))
    (got,) = fake_apiserver.list(EVENTS, "default")
    assert got["series"]["count"] == 2
    assert sink.stats["spam_dropped"] == 2


async def test_spam_can_be_dead_lettered(fake_apiserver: FakeApiServer) -> None:
    dead = cesdk.MemorySink()
    source = cesdk.MemorySource([backoff(n).replace(data=f"n{n}") for n in range(3)])
    sink = make_sink(fake_apiserver, spam_burst=2, on_spam="dead-letter")
    route = cesdk.Route(sink, name="k8s")
    pipeline = cesdk.Pipeline(source=source, routes=[route], dead_letter=dead, concurrency=1)
    await pipeline.run()
    assert len(fake_apiserver.list(EVENTS, "default")) == 2
    assert [e.id for e in dead.events] == ["ev-2"]
    assert "over the spam limit" in str(dead.events[0]["deadletterreason"])
