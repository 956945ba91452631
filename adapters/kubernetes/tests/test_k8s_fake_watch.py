"""Watches on the fake apiserver through the real client's ``watch.Watch().stream``.

Semantics from the Kubernetes API concepts page (kubernetes.io/docs/reference/using-api/
api-concepts): "Efficient detection of changes" (watch from a resourceVersion, 410 Gone as
an ERROR event), "Watch bookmarks", and the ``timeoutSeconds`` list/watch parameter.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes import client, config, watch
from kubernetes.client import ApiClient, ApiException

from cesdk.testing import wait_until
from cesdk_kubernetes.testing import FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_api_client, fake_apiserver

__all__ = ["fake_api_client", "fake_apiserver"]


class Collector:
    """Run ``Watch().stream`` in a thread and keep what it yields (or raises)."""

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.watch = watch.Watch()
        self.events: list[dict[str, Any]] = []
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(func, args, kwargs), daemon=True)
        self._thread.start()

    def _run(self, func: Callable[..., Any], args: Any, kwargs: Any) -> None:
        try:
            for event in self.watch.stream(func, *args, **kwargs):
                self.events.append(event)
        except BaseException as exc:  # the test asserts on it
            self.error = exc
        finally:
            self.done.set()

    def kinds(self) -> list[tuple[str, str]]:
        return [(e["type"], e["raw_object"]["metadata"].get("name", "")) for e in self.events]

    def wait_for(self, count: int, timeout: float = 10) -> None:
        wait_until(lambda: len(self.events) >= count or self.done.is_set(), timeout=timeout)
        assert len(self.events) >= count, (self.kinds(), self.error)

    def stop(self) -> None:
        self.watch.stop()
        self._thread.join(timeout=10)


def _cm(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}}


def test_watch_from_resource_version_streams_later_changes(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    core = client.CoreV1Api(fake_api_client)
    fake_apiserver.create(_cm("before"))
    start = core.list_namespaced_config_map("default").metadata.resource_version
    fake_apiserver.create(_cm("a"))
    collector = Collector(core.list_namespaced_config_map, "default", resource_version=start)
    fake_apiserver.wait_for_watches(1, resource="configmaps")
    fake_apiserver.patch("configmaps", "a", {"data": {"k": "v"}})
    fake_apiserver.delete("configmaps", "a")
    collector.wait_for(3)
    collector.stop()
    assert collector.kinds() == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]
    versions = [int(e["object"].metadata.resource_version) for e in collector.events]
    assert versions == sorted(versions)
    assert versions[0] > int(start)
    assert isinstance(collector.events[0]["object"], client.V1ConfigMap)


def test_watch_without_version_starts_with_synthetic_added(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    fake_apiserver.create(_cm("x"))
    fake_apiserver.create(_cm("y"))
    core = client.CoreV1Api(fake_api_client)
    collector = Collector(core.list_namespaced_config_map, "default")
    collector.wait_for(2)
    fake_apiserver.create(_cm("z"))
    collector.wait_for(3)
    collector.stop()
    assert collector.kinds() == [("ADDED", "x"), ("ADDED", "y"), ("ADDED", "z")]


def test_watch_with_selector_reports_entering_and_leaving(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    fake_apiserver.create(_cm("cfg", app="db"))
    core = client.CoreV1Api(fake_api_client)
    collector = Collector(
        core.list_namespaced_config_map,
        "default",
        label_selector="app=web",
        resource_version=fake_apiserver.resource_version,
    )
    fake_apiserver.wait_for_watches(1)
    fake_apiserver.patch("configmaps", "cfg", {"metadata": {"labels": {"app": "web"}}})
    fake_apiserver.patch("configmaps", "cfg", {"data": {"k": "v"}})
    fake_apiserver.patch("configmaps", "cfg", {"metadata": {"labels": {"app": "db"}}})
    fake_apiserver.create(_cm("other", app="db"))
    fake_apiserver.create(_cm("web", app="web"))
    collector.wait_for(4)
    collector.stop()
    assert collector.kinds() == [
        ("ADDED", "cfg"),
        ("MODIFIED", "cfg"),
        ("DELETED", "cfg"),
        ("ADDED", "web"),
    ]


def test_bookmarks_periodic_and_on_demand(fake_api_client: ApiClient) -> None:
    with FakeApiServer(bookmark_interval=0.2) as fake, fake.api_client() as api_client:
        core = client.CoreV1Api(api_client)
        collector = Collector(
            core.list_namespaced_event,
            "default",
            resource_version=fake.resource_version,
            allow_watch_bookmarks=True,
        )
        fake.wait_for_watches(1)
        created = fake.inject_events(1)
        collector.wait_for(3)  # the event, then bookmarks every 0.2 s
        collector.stop()
        assert collector.events[0]["type"] == "ADDED"
        bookmark = collector.events[1]
        assert bookmark["type"] == "BOOKMARK"
        assert bookmark["raw_object"] == {
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": created[0]["metadata"]["resourceVersion"]},
        }
        assert collector.watch.resource_version == created[0]["metadata"]["resourceVersion"]
    with FakeApiServer(bookmark_interval=3600) as fake, fake.api_client() as api_client:
        core = client.CoreV1Api(api_client)
        collector = Collector(core.list_namespaced_event, "default", allow_watch_bookmarks=True)
        fake.wait_for_watches(1)
        fake.inject_events(2)
        collector.wait_for(2)
        fake.bookmark()
        collector.wait_for(3)
        collector.stop()
        assert [e["type"] for e in collector.events] == ["ADDED", "ADDED", "BOOKMARK"]
        assert (
            collector.events[2]["raw_object"]["metadata"]["resourceVersion"]
            == fake.resource_version
        )


def test_no_bookmarks_unless_asked(fake_api_client: ApiClient) -> None:
    with FakeApiServer(bookmark_interval=0.05) as fake, fake.api_client() as api_client:
        core = client.CoreV1Api(api_client)
        fake.inject_events(1)
        fake.bookmark()  # nobody listening yet
        events = list(
            watch.Watch().stream(core.list_namespaced_event, "default", timeout_seconds=1)
        )
        assert [e["type"] for e in events] == ["ADDED"]


def test_compacted_watch_is_200_then_error_410(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    fake_apiserver.inject_events(1)
    old = fake_apiserver.resource_version
    fake_apiserver.inject_events(1)
    fake_apiserver.compact()
    core = client.CoreV1Api(fake_api_client)
    raw = core.list_namespaced_event(
        "default", watch=True, resource_version=old, _preload_content=False
    )
    assert raw.status == 200
    lines = raw.read().splitlines()
    assert len(lines) == 1
    error = json.loads(lines[0])
    assert error["type"] == "ERROR"
    assert error["object"]["kind"] == "Status"
    assert error["object"]["code"] == 410
    assert error["object"]["reason"] == "Expired"
    stream = watch.Watch().stream(core.list_namespaced_event, "default", resource_version=old)
    with pytest.raises(ApiException) as caught:
        next(stream)
    assert caught.value.status == 410
    # Watch.stream retried once from the same version before raising, as documented.
    watches = [r for r in fake_apiserver.requests if r.watch]
    assert [r.query["resourceVersion"] for r in watches] == [old, old, old]


def test_timeout_seconds_ends_the_stream(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    core = client.CoreV1Api(fake_api_client)
    events = list(
        watch.Watch().stream(
            core.list_namespaced_config_map,
            "default",
            resource_version=fake_apiserver.resource_version,
            timeout_seconds=1,
        )
    )
    assert events == []
    assert fake_apiserver.watch_count == 0
    assert fake_apiserver.requests[-1].query["timeoutSeconds"] == "1"


def test_drop_watches_abrupt_breaks_the_stream(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    core = client.CoreV1Api(fake_api_client)
    collector = Collector(core.list_namespaced_event, "default")
    fake_apiserver.wait_for_watches(1)
    fake_apiserver.inject_events(1)
    collector.wait_for(1)
    assert fake_apiserver.drop_watches() == 1
    assert collector.done.wait(10)
    assert isinstance(collector.error, urllib3.exceptions.HTTPError | OSError), collector.error
    wait_until(lambda: fake_apiserver.watch_count == 0, timeout=5)


def test_drop_watches_clean_lets_the_client_resume(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    core = client.CoreV1Api(fake_api_client)
    collector = Collector(core.list_namespaced_event, "default")
    fake_apiserver.wait_for_watches(1)
    first = fake_apiserver.inject_events(1)
    collector.wait_for(1)
    fake_apiserver.drop_watches(abrupt=False)
    # Watch.stream reconnects by itself from the last resourceVersion it saw.
    wait_until(lambda: len([r for r in fake_apiserver.requests if r.watch]) == 2, timeout=10)
    fake_apiserver.wait_for_watches(1)
    fake_apiserver.inject_events(1, involved_name="after")
    collector.wait_for(2)
    assert collector.error is None
    collector.stop()
    resumed = [r for r in fake_apiserver.requests if r.watch][1]
    assert resumed.query["resourceVersion"] == first[0]["metadata"]["resourceVersion"]
    assert collector.events[1]["object"].involved_object.name == "after"


def test_restart_keeps_state_and_history(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    core = client.CoreV1Api(fake_api_client)
    collector = Collector(core.list_namespaced_event, "default")
    fake_apiserver.wait_for_watches(1)
    seen = fake_apiserver.inject_events(1)
    collector.wait_for(1)
    fake_apiserver.stop_serving()
    assert collector.done.wait(10)
    assert collector.error is not None
    missed = fake_apiserver.inject_events(2, involved_name="while-down-{i}")
    fake_apiserver.start_serving()
    url = fake_apiserver.url
    stream = watch.Watch().stream(
        core.list_namespaced_event,
        "default",
        resource_version=seen[0]["metadata"]["resourceVersion"],
        timeout_seconds=10,
    )
    resumed = [next(stream), next(stream)]
    stream.close()
    assert fake_apiserver.url == url
    assert [e["object"].metadata.name for e in resumed] == [m["metadata"]["name"] for m in missed]
    fake_apiserver.restart()
    assert len(core.list_namespaced_event("default").items) == 3


async def test_wait_for_watches_async(fake_apiserver: FakeApiServer) -> None:
    api_client = fake_apiserver.api_client()
    core = client.CoreV1Api(api_client)
    collector = Collector(core.list_namespaced_event, "default", allow_watch_bookmarks=True)
    await fake_apiserver.wait_for_watches_async(1, resource="events.events.k8s.io")
    assert fake_apiserver.watch_count == 1
    fake_apiserver.inject_events(1)
    collector.wait_for(1)
    collector.stop()
    fake_apiserver.drop_watches()
    api_client.close()


def test_bulk_events_stream_in_few_chunks(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    count = 3000
    created = fake_apiserver.inject_events(count, message="bulk {i}")
    assert len({e["metadata"]["resourceVersion"] for e in created}) == count
    core = client.CoreV1Api(fake_api_client)
    raw = core.list_namespaced_event(
        "default", watch=True, timeout_seconds=5, _preload_content=False
    )
    lines = chunks = 0
    for segment in raw.stream(amt=None, decode_content=False):
        chunks += 1
        lines += segment.count(b"\n")
        if lines >= count:
            break
    raw.release_conn()
    assert lines == count
    assert chunks < count / 10
    streamed = watch.Watch().stream(
        core.list_namespaced_event, "default", timeout_seconds=5, deserialize=False
    )
    messages = []
    for event in streamed:
        messages.append(event["object"]["message"])
        if len(messages) == count:
            break
    assert messages[:3] == ["bulk 0", "bulk 1", "bulk 10"]  # sorted by name, as listed
    assert sorted(messages) == sorted(f"bulk {i}" for i in range(count))


CHILD = """
import json, sys
from kubernetes import client, config, watch
api_client = config.new_client_from_config(config_file=sys.argv[1])
custom = client.CustomObjectsApi(api_client)
listed = custom.list_namespaced_custom_object("coordination.k8s.io", "v1", "default", "leases")
print(json.dumps({"listed": [i["metadata"]["name"] for i in listed["items"]]}), flush=True)
rv = listed["metadata"]["resourceVersion"]
for event in watch.Watch().stream(
    custom.list_namespaced_custom_object, "coordination.k8s.io", "v1", "default", "leases",
    resource_version=rv, timeout_seconds=20,
):
    print(json.dumps({"type": event["type"], "name": event["object"]["metadata"]["name"]}),
          flush=True)
    break
"""


def test_another_process_uses_the_kubeconfig(fake_apiserver: FakeApiServer) -> None:
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "first"},
        "spec": {"holderIdentity": "me"},
    }
    fake_apiserver.create(lease)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(fake_apiserver.kubeconfig_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert json.loads(child.stdout.readline()) == {"listed": ["first"]}
        fake_apiserver.wait_for_watches(1, resource="leases.coordination.k8s.io", timeout=20)
        fake_apiserver.create({**lease, "metadata": {"name": "second"}})
        assert json.loads(child.stdout.readline()) == {"type": "ADDED", "name": "second"}
        assert child.wait(timeout=20) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_send_initial_events_ends_with_marked_bookmark(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    fake_apiserver.inject_events(2)
    core = client.CoreV1Api(fake_api_client)
    raw = core.list_namespaced_event(
        "default",
        watch=True,
        send_initial_events=True,
        resource_version_match="NotOlderThan",
        allow_watch_bookmarks=True,
        timeout_seconds=10,
        _preload_content=False,
    )
    events = []
    for segment in raw.stream(amt=None, decode_content=False):
        events.extend(json.loads(line) for line in segment.splitlines())
        if len(events) >= 3:
            break
    raw.release_conn()
    assert [e["type"] for e in events] == ["ADDED", "ADDED", "BOOKMARK"]
    marker = events[2]["object"]["metadata"]
    assert marker["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert marker["resourceVersion"] == fake_apiserver.resource_version


def test_run_as_a_process_with_preloaded_events(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cesdk_kubernetes.testing",
            "--events",
            "5",
            "--kubeconfig",
            str(kubeconfig),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        ready = json.loads(server.stdout.readline())
        assert ready["kubeconfig"] == str(kubeconfig)
        with config.new_client_from_config(config_file=str(kubeconfig)) as api_client:
            listed = client.CoreV1Api(api_client).list_namespaced_event("default")
        assert len(listed.items) == 5
        assert api_client.configuration.host == ready["url"]
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_client_leaving_closes_the_watch_at_once(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    core = client.CoreV1Api(fake_api_client)
    raw = core.list_namespaced_event("default", watch=True, _preload_content=False)
    fake_apiserver.wait_for_watches(1)
    raw.close()  # the client closes its connection; no event is ever written to it
    wait_until(lambda: fake_apiserver.watch_count == 0, timeout=5, what="the watch to end")
