"""Custom resources and the two Event schemas on the fake apiserver, with the real client.

CRD behaviour from "Extend the Kubernetes API with CustomResourceDefinitions"
(kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions):
scope, versions, the status subresource and metadata.generation. Event conversion from
k8s.io/kubernetes pkg/apis/events/v1/conversion.go; validation from
pkg/apis/core/validation/events.go (ValidateEventCreate for events.k8s.io/v1).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client import ApiClient, ApiException
from kubernetes.dynamic import DynamicClient

from cesdk_kubernetes.testing import ApiStatusError, FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_api_client, fake_apiserver

__all__ = ["fake_api_client", "fake_apiserver"]

MERGE = "application/merge-patch+json"

CRD_YAML = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
    - name: v1alpha1
      served: true
      storage: false
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Cluster
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
"""


@pytest.fixture
def crds(fake_apiserver: FakeApiServer, tmp_path: Path) -> list[str]:
    path = tmp_path / "crds.yaml"
    path.write_text(CRD_YAML)
    return fake_apiserver.add_crd(path)


def _first(stream: Iterator[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The first ``count`` events of a watch stream, then the stream is closed."""
    events = list(itertools.islice(stream, count))
    stream.close()  # type: ignore[attr-defined]  # a generator
    return events


def _widget(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": spec,
        "status": {"phase": "ignored"},
    }


def test_crd_from_manifest_serves_custom_objects(
    crds: list[str], fake_api_client: ApiClient
) -> None:
    assert crds == ["widgets.example.com", "gadgets.example.com"]
    custom = client.CustomObjectsApi(fake_api_client)
    created = custom.create_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", _widget("w1", size=1)
    )
    assert created["metadata"]["generation"] == 1
    assert "status" not in created  # the status subresource owns status
    listed = custom.list_namespaced_custom_object("example.com", "v1", "default", "widgets")
    assert listed["kind"] == "WidgetList"
    assert [i["metadata"]["name"] for i in listed["items"]] == ["w1"]
    old_version = custom.get_namespaced_custom_object(
        "example.com", "v1alpha1", "default", "widgets", "w1"
    )
    assert old_version["apiVersion"] == "example.com/v1alpha1"
    assert old_version["metadata"]["uid"] == created["metadata"]["uid"]
    gadget = custom.create_cluster_custom_object(
        "example.com",
        "v1",
        "gadgets",
        {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}},
    )
    assert "namespace" not in gadget["metadata"]


def test_custom_status_subresource_and_generation(
    crds: list[str], fake_api_client: ApiClient
) -> None:
    custom = client.CustomObjectsApi(fake_api_client)
    custom.create_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", _widget("w", size=1)
    )
    status = custom.patch_namespaced_custom_object_status(
        "example.com",
        "v1",
        "default",
        "widgets",
        "w",
        {"status": {"phase": "Ready"}, "spec": {"size": 100}},
        _content_type=MERGE,
    )
    assert status["status"] == {"phase": "Ready"}
    assert status["spec"] == {"size": 1}  # /status ignores everything but status
    assert status["metadata"]["generation"] == 1
    bumped = custom.patch_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", "w", {"spec": {"size": 2}}, _content_type=MERGE
    )
    assert bumped["metadata"]["generation"] == 2
    assert bumped["status"] == {"phase": "Ready"}
    replaced = custom.replace_namespaced_custom_object_status(
        "example.com", "v1", "default", "widgets", "w", {**bumped, "status": {"phase": "Done"}}
    )
    assert replaced["status"] == {"phase": "Done"}
    assert replaced["metadata"]["generation"] == 2


def test_crd_created_through_the_api(fake_api_client: ApiClient, tmp_path: Path) -> None:
    extensions = client.ApiextensionsV1Api(fake_api_client)
    body = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "notificationrequests.cesdk.io"},
        "spec": {
            "group": "cesdk.io",
            "scope": "Namespaced",
            "names": {
                "plural": "notificationrequests",
                "singular": "notificationrequest",
                "kind": "NotificationRequest",
            },
            "versions": [
                {
                    "name": "v1alpha1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
            ],
        },
    }
    created = extensions.create_custom_resource_definition(body)
    conditions = {c.type: c.status for c in created.status.conditions}
    assert conditions["Established"] == "True"
    dynamic = DynamicClient(fake_api_client, cache_file=str(tmp_path / "discovery.json"))
    requests = dynamic.resources.get(api_version="cesdk.io/v1alpha1", kind="NotificationRequest")
    assert "status" in requests.subresources
    requests.create(body={"metadata": {"name": "r1"}, "spec": {"sink": "slack"}}, namespace="ns")
    assert requests.get(name="r1", namespace="ns").spec.sink == "slack"
    extensions.delete_custom_resource_definition("notificationrequests.cesdk.io")
    with pytest.raises(ApiException) as caught:
        client.CustomObjectsApi(fake_api_client).list_namespaced_custom_object(
            "cesdk.io", "v1alpha1", "ns", "notificationrequests"
        )
    assert caught.value.status == 404


def test_invalid_crd_is_refused(fake_apiserver: FakeApiServer) -> None:
    with pytest.raises(ApiStatusError) as caught:
        fake_apiserver.add_crd(
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": "things.example.com"},
                "spec": {"group": "example.com", "names": {"plural": "things"}, "versions": []},
            }
        )
    assert caught.value.code == 422
    assert "spec.names.kind" in str(caught.value)


def test_core_event_seen_through_events_k8s_io(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    [created] = fake_apiserver.inject_events(
        1, type="Warning", reason="BackOff", message="restarting", involved_name="web-1"
    )
    fake_apiserver.repeat_event(created["metadata"]["name"], times=2)
    raw = client.EventsV1Api(fake_api_client).read_namespaced_event(
        created["metadata"]["name"], "default", _preload_content=False
    )
    event = raw.json()
    assert event["apiVersion"] == "events.k8s.io/v1"
    assert event["regarding"] == {
        "kind": "Pod",
        "name": "web-1",
        "apiVersion": "v1",
        "namespace": "default",
    }
    assert event["note"] == "restarting"
    assert event["reason"] == "BackOff"
    assert event["type"] == "Warning"
    assert event["reportingController"] == "kubelet"
    assert event["deprecatedSource"] == {"component": "kubelet"}
    assert event["deprecatedCount"] == 3
    assert event["deprecatedFirstTimestamp"] == created["firstTimestamp"]
    assert event["eventTime"] is None  # as a real apiserver shows a legacy Event
    assert "involvedObject" not in event
    assert "message" not in event


def test_events_k8s_io_event_seen_through_core(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    events = client.EventsV1Api(fake_api_client)
    body = {
        "metadata": {"generateName": "web-1."},
        "eventTime": "2024-05-01T10:00:00.000000Z",
        "regarding": {"kind": "Pod", "name": "web-1", "namespace": "default"},
        "related": {"kind": "Node", "name": "n1"},
        "reason": "Failed",
        "note": "pull failed",
        "type": "Warning",
        "action": "Pulling",
        "reportingController": "example.com/recorder",
        "reportingInstance": "recorder-0",
    }
    created = events.create_namespaced_event("default", body)
    core = client.CoreV1Api(fake_api_client).read_namespaced_event(created.metadata.name, "default")
    assert core.involved_object.name == "web-1"
    assert core.message == "pull failed"
    assert core.reporting_component == "example.com/recorder"
    assert core.reporting_instance == "recorder-0"
    assert core.action == "Pulling"
    assert core.related.name == "n1"
    assert core.count is None
    assert core.first_timestamp is None
    series = events.patch_namespaced_event(
        created.metadata.name,
        "default",
        {"series": {"count": 2, "lastObservedTime": "2024-05-01T10:05:00.000000Z"}},
        _content_type=MERGE,
    )
    assert series.series.count == 2
    assert fake_apiserver.get("events", created.metadata.name)["series"]["count"] == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reportingController": ""}, "reportingController"),
        ({"action": ""}, "action"),
        ({"type": "Bad"}, "type"),
        ({"note": "x" * 1025}, "note"),
        (
            {"series": {"count": 1, "lastObservedTime": "2024-05-01T10:00:00.000000Z"}},
            "series.count",
        ),
        ({"deprecatedCount": 3}, "deprecatedCount"),
    ],
)
def test_events_k8s_io_validation(
    fake_api_client: ApiClient, change: dict[str, Any], field: str
) -> None:
    body = {
        "metadata": {"name": "e1"},
        "eventTime": "2024-05-01T10:00:00.000000Z",
        "regarding": {"kind": "Pod", "name": "web-1", "namespace": "default"},
        "reason": "Failed",
        "note": "n" * 1024,
        "type": "Normal",
        "action": "Pulling",
        "reportingController": "example.com/recorder",
        "reportingInstance": "recorder-0",
    }
    events = client.EventsV1Api(fake_api_client)
    with pytest.raises(ApiException) as caught:
        events.create_namespaced_event("default", {**body, **change}, _preload_content=False)
    assert caught.value.status == 422
    assert f'"field":"{field}"' in caught.value.body
    assert events.create_namespaced_event("default", body).note == "n" * 1024


def test_events_k8s_io_needs_event_time(fake_apiserver: FakeApiServer) -> None:
    # The client refuses a body without eventTime itself, so write as "another client".
    body = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "e1"},
        "regarding": {"kind": "Pod", "name": "web-1"},
        "reason": "Failed",
        "type": "Normal",
        "action": "Pulling",
        "reportingController": "example.com/recorder",
        "reportingInstance": "recorder-0",
    }
    with pytest.raises(ApiStatusError) as caught:
        fake_apiserver.create(body)
    assert caught.value.code == 422
    assert caught.value.status["details"]["causes"][0]["field"] == "eventTime"


def test_one_watch_sees_events_written_through_either_group(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    start = fake_apiserver.resource_version
    fake_apiserver.inject_events(1, involved_name="legacy")
    client.EventsV1Api(fake_api_client).create_namespaced_event(
        "default",
        {
            "metadata": {"name": "modern.1"},
            "eventTime": "2024-05-01T10:00:00.000000Z",
            "regarding": {"kind": "Pod", "name": "modern"},
            "reason": "Started",
            "type": "Normal",
            "action": "Start",
            "reportingController": "example.com/c",
            "reportingInstance": "c-0",
        },
    )
    core = client.CoreV1Api(fake_api_client)
    via_core = watch.Watch().stream(
        core.list_namespaced_event, "default", resource_version=start, timeout_seconds=10
    )
    assert [e["object"].involved_object.name for e in _first(via_core, 2)] == ["legacy", "modern"]
    events_v1 = client.EventsV1Api(fake_api_client)
    via_events = watch.Watch().stream(
        events_v1.list_namespaced_event,
        "default",
        resource_version=start,
        timeout_seconds=10,
        deserialize=False,
    )
    names = [e["object"]["regarding"]["name"] for e in _first(via_events, 2)]
    assert names == ["legacy", "modern"]


def test_leases_for_leader_election(fake_api_client: ApiClient) -> None:
    coordination = client.CoordinationV1Api(fake_api_client)
    lease = coordination.create_namespaced_lease(
        "default",
        {
            "metadata": {"name": "leader"},
            "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15},
        },
    )
    lease.spec.holder_identity = "b"
    taken = coordination.replace_namespaced_lease("leader", "default", lease)
    assert taken.spec.holder_identity == "b"
    lease.spec.holder_identity = "c"  # a competitor with the old resourceVersion loses
    with pytest.raises(ApiException) as caught:
        coordination.replace_namespaced_lease("leader", "default", lease)
    assert caught.value.status == 409
