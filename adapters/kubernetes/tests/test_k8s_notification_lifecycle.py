"""NotificationRequestSource with a real pipeline against the fake apiserver.

Status conventions checked are Kubernetes API conventions (status subresource written
with merge PATCH, ``observedGeneration``, ``conditions`` with ``type``, ``status``,
``reason``, ``message``, ``lastTransitionTime``). CloudEvent attributes are checked
against CloudEvents core 1.0 section 3.1 (``id`` unique per ``source``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import cesdk
from cesdk.testing import CapturingSink, until
from cesdk_kubernetes import NOTIFICATION_REQUEST_CRD, NotificationRequestSource
from cesdk_kubernetes.testing import FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_apiserver

__all__ = ["fake_apiserver"]

NR = "notificationrequests.cesdk.io"
FAST = cesdk.Retry(max_attempts=3, initial_delay=0.01, max_delay=0.05)


@pytest.fixture
def fake(fake_apiserver: FakeApiServer) -> FakeApiServer:
    fake_apiserver.add_crd(NOTIFICATION_REQUEST_CRD)
    return fake_apiserver


def request(name: str, spec: dict[str, Any], namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "cesdk.io/v1alpha1",
        "kind": "NotificationRequest",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def slack_spec(**more: Any) -> dict[str, Any]:
    return {
        "route": "slack",
        "event": {
            "type": "com.example.release.done",
            "subject": "release/v1.2.3",
            "data": {"text": "v1.2.3 is out"},
            "extensions": {"team": "payments"},
        },
        **more,
    }


def status(fake: FakeApiServer, name: str, namespace: str = "default") -> dict[str, Any]:
    got: dict[str, Any] = fake.get(NR, name, namespace).get("status") or {}
    return got


@contextlib.asynccontextmanager
async def running(
    fake: FakeApiServer,
    sink: cesdk.Sink,
    *,
    dead: cesdk.MemorySink | None = None,
    concurrency: int = 8,
    **options: Any,
) -> AsyncIterator[NotificationRequestSource]:
    source = NotificationRequestSource(kubeconfig=str(fake.kubeconfig_path), **options)
    route = cesdk.Route(sink, name="slack", filter={"exact": {"cesdkroute": "slack"}}, retry=FAST)
    pipeline = cesdk.Pipeline(
        source=source,
        routes=[route],
        dead_letter=dead if dead is not None else cesdk.MemorySink(),
        concurrency=concurrency,
    )
    task = asyncio.create_task(pipeline.run(handle_signals=False))
    try:
        await until(lambda: source.synced.is_set(), timeout=10)
        await fake.wait_for_watches_async(1)
        yield source
    finally:
        pipeline.stop()
        await asyncio.wait_for(task, 10)


async def phase_is(fake: FakeApiServer, name: str, phase: str, namespace: str = "default") -> None:
    check: Callable[[], bool] = lambda: status(fake, name, namespace).get("phase") == phase  # noqa: E731
    await until(check, timeout=10)


async def test_lifecycle_pending_sending_sent(fake: FakeApiServer) -> None:
    gate = asyncio.Event()
    seen: list[cesdk.CloudEvent] = []

    class GatedSink(CapturingSink):
        async def send(self, event: cesdk.CloudEvent) -> None:
            seen.append(event)
            await gate.wait()
            await super().send(event)

    sink = GatedSink()
    async with running(fake, sink, concurrency=1, cluster="prod"):
        first = fake.create(request("release", slack_spec()))
        await phase_is(fake, "release", "Sending")
        fake.create(request("second", slack_spec()))
        await phase_is(fake, "second", "Pending")  # the pipeline is full: not taken yet
        assert status(fake, "second")["conditions"][0]["status"] == "Unknown"
        gate.set()
        await phase_is(fake, "release", "Sent")
        await phase_is(fake, "second", "Sent")
    event = sink.events[0]
    uid = first["metadata"]["uid"]
    assert event.id == f"{uid}.1"
    assert event.source == "/k8s/prod/default/notificationrequests/release"
    assert event.type == "com.example.release.done"
    assert event.subject == "release/v1.2.3"
    assert event.data == {"text": "v1.2.3 is out"}
    assert event["cesdkroute"] == "slack"
    assert event["team"] == "payments"
    done = status(fake, "release")
    assert done["attempts"] == 1
    assert done["observedGeneration"] == 1
    assert done["sentAt"]
    assert done["finishedAt"]
    (condition,) = done["conditions"]
    assert condition["type"] == "Delivered"
    assert (condition["status"], condition["reason"]) == ("True", "Sent")
    assert condition["observedGeneration"] == 1
    assert condition["lastTransitionTime"]
    status_writes = [r for r in fake.requests if r.path.endswith("/release/status")]
    assert [r.method for r in status_writes] == ["PATCH"] * 3  # Pending, Sending, Sent
    assert all(
        r.headers["content-type"].startswith("application/merge-patch") for r in status_writes
    )


async def test_retries_update_attempts_and_last_error(fake: FakeApiServer) -> None:
    phases: list[tuple[Any, Any]] = []

    class Flaky(CapturingSink):
        async def send(self, event: cesdk.CloudEvent) -> None:
            st = status(fake, "flaky")
            phases.append((st.get("attempts"), st.get("lastError")))
            await super().send(event)

    sink = Flaky(fail=2)
    async with running(fake, sink):
        fake.create(request("flaky", slack_spec()))
        await phase_is(fake, "flaky", "Sent")
    assert len(sink.events) == 1
    # before the 2nd and 3rd attempts the status showed the retries
    assert phases[1][0] == 1
    assert "retryable failure" in str(phases[1][1])
    assert phases[2][0] == 2
    done = status(fake, "flaky")
    assert done["attempts"] == 3
    assert done["conditions"][0]["status"] == "True"


async def test_permanent_failure_is_failed(fake: FakeApiServer) -> None:
    dead = cesdk.MemorySink()
    sink = CapturingSink(permanent=True)
    async with running(fake, sink, dead=dead):
        fake.create(request("doomed", slack_spec()))
        await phase_is(fake, "doomed", "Failed")
    st = status(fake, "doomed")
    assert "permanent failure" in st["lastError"]
    assert st["attempts"] == 1
    assert st.get("sentAt") is None
    (condition,) = st["conditions"]
    assert (condition["status"], condition["reason"]) == ("False", "DeliveryFailed")
    assert "permanent failure" in condition["message"]
    assert len(dead.events) == 1


async def test_retries_exhausted_is_failed(fake: FakeApiServer) -> None:
    sink = CapturingSink(fail=10)
    async with running(fake, sink):
        fake.create(request("tired", slack_spec()))
        await phase_is(fake, "tired", "Failed")
    st = status(fake, "tired")
    assert st["attempts"] == 3
    assert "gave up after 3 attempt(s)" in st["lastError"]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"route": "slack"}, "spec needs event"),
        ({"route": "slack", "event": {"subject": "x"}}, "spec.event.type is required"),
        ({"event": {"type": "t"}}, "spec.route is required"),
        ({"route": "slack", "event": {"type": "t", "extensions": {"Bad-Name": "x"}}}, "Bad-Name"),
        ({"route": "slack", "event": {"type": "t", "subject": 5}}, "spec.event.subject must be"),
        ({"route": "slack", "template": "{{ missing }}"}, "missing"),
    ],
)
async def test_malformed_request_is_failed_and_the_watch_goes_on(
    fake: FakeApiServer, spec: dict[str, Any], reason: str
) -> None:
    dead = cesdk.MemorySink()
    sink = CapturingSink()
    async with running(fake, sink, dead=dead):
        fake.create(request("bad", spec))
        await phase_is(fake, "bad", "Failed")
        fake.create(request("good", slack_spec()))
        await phase_is(fake, "good", "Sent")
    st = status(fake, "bad")
    assert reason in st["lastError"]
    assert st["conditions"][0]["status"] == "False"
    assert dead.events
    assert dead.events[0].type == "dev.cesdk.deadletter.undecodable"
    assert [e.source for e in sink.events] == ["/k8s/cluster/default/notificationrequests/good"]


async def test_unknown_route_fails_when_routes_are_listed(fake: FakeApiServer) -> None:
    sink = CapturingSink()
    async with running(fake, sink, routes=["slack"]):
        fake.create(request("lost", {**slack_spec(), "route": "pager"}))
        await phase_is(fake, "lost", "Failed")
    assert "not a route of this pipeline" in status(fake, "lost")["lastError"]
    assert sink.events == []


async def test_template_and_parameters_render_the_data(fake: FakeApiServer) -> None:
    sink = CapturingSink()
    spec = {
        "route": "slack",
        "template": "Deploy of {{ app }} to {{ env }} finished",
        "parameters": {"app": "shop", "env": "prod"},
    }
    async with running(fake, sink):
        fake.create(request("templated", spec))
        await phase_is(fake, "templated", "Sent")
    (event,) = sink.events
    assert event.type == "dev.cesdk.notification"
    assert event.data == "Deploy of shop to prod finished"
    assert event.datacontenttype is not None
    assert event.datacontenttype.startswith("text/plain")


async def test_restart_does_not_resend_sent_requests(fake: FakeApiServer) -> None:
    first = CapturingSink()
    async with running(fake, first):
        fake.create(request("once", slack_spec()))
        await phase_is(fake, "once", "Sent")
    second = CapturingSink()
    async with running(fake, second):
        fake.create(request("after", slack_spec()))
        await phase_is(fake, "after", "Sent")
    assert len(first.events) == 1
    assert [e.source.rsplit("/", 1)[-1] for e in second.events] == ["after"]


async def test_restart_resends_one_left_sending(fake: FakeApiServer) -> None:
    """A process that died mid-send left Sending: the next one sends it (at least once)."""
    created = fake.create(request("orphan", slack_spec()))
    fake.patch(
        NR,
        "orphan",
        {"status": {"phase": "Sending", "attempts": 2, "observedGeneration": 1}},
        "default",
        subresource="status",
    )
    sink = CapturingSink()
    async with running(fake, sink):
        await phase_is(fake, "orphan", "Sent")
    assert [e.id for e in sink.events] == [f"{created['metadata']['uid']}.1"]
    assert status(fake, "orphan")["attempts"] == 3  # 2 before the restart + 1


async def test_spec_change_sends_again_with_a_new_id(fake: FakeApiServer) -> None:
    sink = CapturingSink()
    async with running(fake, sink):
        created = fake.create(request("again", slack_spec()))
        await phase_is(fake, "again", "Sent")
        fake.patch(NR, "again", {"spec": {"event": {"data": {"text": "v1.2.4"}}}}, "default")
        await until(lambda: len(sink.events) == 2, timeout=10)
        await until(lambda: status(fake, "again").get("observedGeneration") == 2, timeout=10)
        await phase_is(fake, "again", "Sent")
    uid = created["metadata"]["uid"]
    assert [e.id for e in sink.events] == [f"{uid}.1", f"{uid}.2"]
    assert sink.events[1].data == {"text": "v1.2.4"}


async def test_ttl_deletes_finished_requests(fake: FakeApiServer) -> None:
    sink = CapturingSink()
    async with running(fake, sink):
        fake.create(request("short", slack_spec(ttlSecondsAfterFinished=0)))
        fake.create(request("kept", slack_spec()))
        await until(lambda: [o["metadata"]["name"] for o in fake.list(NR)] == ["kept"], timeout=10)
        await phase_is(fake, "kept", "Sent")
    assert len(sink.events) == 2


async def test_ttl_cleanup_can_be_off(fake: FakeApiServer) -> None:
    sink = CapturingSink()
    async with running(fake, sink, ttl_cleanup=False):
        fake.create(request("stays", slack_spec(ttlSecondsAfterFinished=0)))
        await phase_is(fake, "stays", "Sent")
    assert [o["metadata"]["name"] for o in fake.list(NR)] == ["stays"]


async def test_only_the_listed_namespaces(fake: FakeApiServer) -> None:
    sink = CapturingSink()
    async with running(fake, sink, namespaces=["team-a"]):
        fake.create(request("other", slack_spec(), namespace="team-b"))
        fake.create(request("mine", slack_spec(), namespace="team-a"))
        await phase_is(fake, "mine", "Sent", "team-a")
    assert status(fake, "other", "team-b") == {}
    assert len(sink.events) == 1


async def test_watch_survives_compaction_and_dropped_connections(fake: FakeApiServer) -> None:
    sink = CapturingSink()
    async with running(fake, sink):
        fake.create(request("one", slack_spec()))
        await phase_is(fake, "one", "Sent")
        fake.compact()
        fake.drop_watches()
        await fake.wait_for_watches_async(1)
        fake.create(request("two", slack_spec()))
        await phase_is(fake, "two", "Sent")
    assert len(sink.events) == 2


def test_entry_point() -> None:
    assert cesdk.plugins.load("cesdk.sources", "notification-requests") is NotificationRequestSource
