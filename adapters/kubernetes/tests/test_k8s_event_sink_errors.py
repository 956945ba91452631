"""KubernetesEventSink: what each apiserver answer means (409, 404, 403, 422, 5xx, no answer).

Mirrors client-go ``tools/events`` ``recordEvent``: a series PATCH answered 404 (the
Event expired) creates the Event again with its series; a create answered 409 is
re-read and retried. Server errors and a lost connection are retryable; 4xx refusals
are permanent and carry the apiserver's message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

import cesdk
from cesdk import plugins
from cesdk.testing import SinkContract, until
from cesdk_kubernetes import KubernetesEventSink
from cesdk_kubernetes.testing import FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_apiserver

__all__ = ["fake_apiserver"]

EVENTS = "events.events.k8s.io"


def make_sink(fake: FakeApiServer, **options: Any) -> KubernetesEventSink:
    return KubernetesEventSink(kubeconfig=str(fake.kubeconfig_path), **options)


def event(n: int = 0, note: str = "disk full") -> cesdk.CloudEvent:
    return cesdk.CloudEvent(
        type="com.example.backup.failed", source="/b", id=f"e{n}", subject="pod/db-0", data=note
    )


async def test_409_on_create_is_retried_once_under_a_new_name(
    fake_apiserver: FakeApiServer,
) -> None:
    async with make_sink(fake_apiserver) as sink:
        fake_apiserver.fail_next(1, 409, method="POST", message="already exists")
        fake_apiserver.clear_requests()
        await sink.send(event())
    (got,) = fake_apiserver.list(EVENTS, "default")
    assert got["note"] == "disk full"
    methods = [r.method for r in fake_apiserver.requests if "/events" in r.path]
    assert methods == ["POST", "GET", "POST"]  # refused, re-read (404), created


async def test_409_twice_is_a_permanent_error(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver) as sink:
        fake_apiserver.fail_next(2, 409, method="POST", message="name clash")
        with pytest.raises(cesdk.PermanentDeliveryError, match="name clash"):
            await sink.send(event())


async def test_404_on_series_patch_recreates_the_event(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver) as sink:
        await sink.send(event(1))
        (first,) = fake_apiserver.list(EVENTS, "default")
        fake_apiserver.delete(EVENTS, first["metadata"]["name"], "default")  # the TTL expired
        await sink.send(event(2))
        await sink.send(event(3))
    (got,) = fake_apiserver.list(EVENTS, "default")
    assert got["series"]["count"] == 3
    assert got["note"] == "disk full"
    assert sink.stats["recreated"] == 1


async def test_409_on_patch_rereads_and_patches_again(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver) as sink:
        await sink.send(event(1))
        (first,) = fake_apiserver.list(EVENTS, "default")
        name = first["metadata"]["name"]
        # another writer moved the series on meanwhile
        series = {"count": 5, "lastObservedTime": "2030-01-01T00:00:00.000000Z"}
        fake_apiserver.patch(EVENTS, name, {"series": series}, "default")
        fake_apiserver.fail_next(1, 409, method="PATCH")
        await sink.send(event(2))
    got = fake_apiserver.get(EVENTS, name, "default")
    assert got["series"]["count"] == 6


async def test_403_names_the_missing_rbac_rule(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver) as sink:
        fake_apiserver.fail_next(1, 403, method="POST", message="events is forbidden: User x")
        with pytest.raises(cesdk.PermanentDeliveryError) as caught:
            await sink.send(event())
    text = str(caught.value)
    assert "RBAC verb 'create'" in text
    assert "'events'" in text
    assert "'events.k8s.io'" in text
    assert "namespace 'default'" in text
    assert "events is forbidden: User x" in text


async def test_403_on_patch_names_the_patch_verb(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver) as sink:
        await sink.send(event(1))
        fake_apiserver.fail_next(1, 403, method="PATCH")
        with pytest.raises(cesdk.PermanentDeliveryError, match="RBAC verb 'patch'"):
            await sink.send(event(2))


async def test_422_is_permanent_with_the_apiserver_message(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver) as sink:
        fake_apiserver.fail_next(1, 422, method="POST", message="reason: Invalid value")
        with pytest.raises(cesdk.PermanentDeliveryError, match="reason: Invalid value"):
            await sink.send(event())


async def test_5xx_is_retryable_and_the_retry_records_once(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver, spam_burst=1) as sink:
        fake_apiserver.fail_next(1, 500, method="POST")
        with pytest.raises(cesdk.RetryableDeliveryError, match="500"):
            await sink.send(event())
        await sink.send(event())  # the failed attempt took no spam token
    assert len(fake_apiserver.list(EVENTS, "default")) == 1
    assert sink.stats["spam_dropped"] == 0


async def test_unreachable_apiserver_is_retryable(fake_apiserver: FakeApiServer) -> None:
    async with make_sink(fake_apiserver) as sink:
        fake_apiserver.stop_serving()
        with pytest.raises(cesdk.RetryableDeliveryError, match="unreachable"):
            await sink.send(event())
        fake_apiserver.start_serving()
        await sink.send(event())
    assert len(fake_apiserver.list(EVENTS, "default")) == 1


async def test_pipeline_retries_then_records(fake_apiserver: FakeApiServer) -> None:
    fake_apiserver.fail_next(2, 503, method="POST")
    sink = make_sink(fake_apiserver)
    retry = cesdk.Retry(max_attempts=5, initial_delay=0.01, max_delay=0.02)
    dead = cesdk.MemorySink()
    pipeline = cesdk.Pipeline(
        source=cesdk.MemorySource([event()]),
        routes=[cesdk.Route(sink, name="k8s", retry=retry)],
        dead_letter=dead,
    )
    await pipeline.run()
    assert dead.events == []
    await until(lambda: len(fake_apiserver.list(EVENTS, "default")) == 1, timeout=5)


def test_entry_point_and_yaml_options(tmp_path: Path) -> None:
    assert plugins.load("cesdk.sinks", "kubernetes-events") is KubernetesEventSink
    path = tmp_path / "p.yaml"
    path.write_text(
        "source: memory\nsink:\n  use: kubernetes-events\n"
        "  reporting_controller: example.com/ops\n  spam_burst: '10'\n  on_spam: dead-letter\n"
    )
    sink = cesdk.load_pipeline(path).routes[0].sink
    assert isinstance(sink, KubernetesEventSink)
    assert (sink.reporting_controller, sink.spam.burst, sink.on_spam) == (
        "example.com/ops",
        10,
        "dead-letter",
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("source: memory\nsink:\n  use: kubernetes-events\n  on_spam: explode\n")
    problems = cesdk.validate_file(bad)
    assert problems
    assert problems[0].key == "sink.on_spam"


def test_bad_reporting_controller_is_refused() -> None:
    with pytest.raises(cesdk.ConfigError, match="qualified name"):
        KubernetesEventSink(reporting_controller="not a name!")


class TestKubernetesEventSinkContract(SinkContract):
    """The shared sink contract; an Event keeps the object (subject) and the note (data)."""

    carries_full_events: ClassVar[bool] = False

    @pytest.fixture(autouse=True)
    def _peer(self, fake_apiserver: FakeApiServer) -> None:
        self.fake = fake_apiserver

    async def open_sink(self) -> cesdk.Sink:
        # An Event has no CloudEvent id: the note carries it, for the contract's checks.
        return KubernetesEventSink(
            kubeconfig=str(self.fake.kubeconfig_path), spam_burst=100, note_template="{{ id }}"
        )

    async def open_unreachable_sink(self) -> cesdk.Sink | None:
        self.fake.fail_next(10, 500, method="POST")
        return await self.open_sink()

    async def received(self, count: int, timeout: float) -> list[cesdk.CloudEvent]:
        await until(lambda: len(self.fake.list(EVENTS)) >= count, timeout=timeout)
        items = sorted(self.fake.list(EVENTS), key=lambda e: int(e["metadata"]["resourceVersion"]))
        return [
            cesdk.CloudEvent(
                type="io.k8s.event",
                source="/fake",
                id=e["note"],
                subject=f"{e['regarding']['kind']}/{e['regarding']['name']}",
            )
            for e in items
        ]

    def assert_same(self, sent: cesdk.CloudEvent, got: cesdk.CloudEvent) -> None:
        assert got.subject is not None
        assert sent.subject is not None
        assert got.subject.lower() == sent.subject.lower()
        assert got.id == sent.id
