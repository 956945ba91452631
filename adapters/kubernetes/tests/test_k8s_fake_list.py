"""Lists on the fake apiserver through the real client: selectors, paging, resourceVersion.

Semantics from the Kubernetes API concepts page (kubernetes.io/docs/reference/using-api/
api-concepts): "Retrieving large results sets in chunks" (limit, continue, 410 for an
expired token), "Semantics for get and list" (resourceVersion, resourceVersionMatch) and
the label/field selector pages under "Overview > Working with objects".
"""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.client import ApiClient, ApiException

from cesdk_kubernetes.testing import FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_api_client, fake_apiserver

__all__ = ["fake_api_client", "fake_apiserver"]


def _names(listed: client.CoreV1EventList | client.V1ConfigMapList) -> list[str]:
    return [item.metadata.name for item in listed.items]


def _pods(fake: FakeApiServer) -> None:
    labels = [
        ("a", {"app": "web", "tier": "front"}),
        ("b", {"app": "web", "tier": "back"}),
        ("c", {"app": "db"}),
        ("d", {}),
    ]
    for name, pod_labels in labels:
        fake.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name, "labels": pod_labels},
            }
        )


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["a", "b"]),
        ("app==web", ["a", "b"]),
        ("app!=web", ["c", "d"]),
        ("app in (web, db)", ["a", "b", "c"]),
        ("app notin (web)", ["c", "d"]),
        ("tier", ["a", "b"]),
        ("!tier", ["c", "d"]),
        ("app=web,tier=back", ["b"]),
        ("app in (web),!tier", []),
    ],
)
def test_label_selectors(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient, selector: str, expected: list[str]
) -> None:
    _pods(fake_apiserver)
    listed = client.CoreV1Api(fake_api_client).list_namespaced_config_map(
        "default", label_selector=selector
    )
    assert _names(listed) == expected


def test_bad_label_selector_is_400(fake_api_client: ApiClient) -> None:
    with pytest.raises(ApiException) as caught:
        client.CoreV1Api(fake_api_client).list_namespaced_config_map(
            "default", label_selector="app in web"
        )
    assert caught.value.status == 400


def test_field_selectors_on_events(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    fake_apiserver.inject_events(2, type="Warning", reason="BackOff", involved_name="web-{i}")
    fake_apiserver.inject_events(1, type="Normal", involved_kind="Node", involved_name="node-1")
    fake_apiserver.inject_events(1, namespace="other", type="Warning")
    core = client.CoreV1Api(fake_api_client)
    warnings = core.list_event_for_all_namespaces(field_selector="type=Warning")
    assert len(warnings.items) == 3
    assert {e.metadata.namespace for e in warnings.items} == {"default", "other"}
    pods = core.list_namespaced_event("default", field_selector="involvedObject.kind=Pod")
    assert [e.involved_object.name for e in pods.items] == ["web-0", "web-1"]
    both = core.list_namespaced_event(
        "default", field_selector="type!=Normal,involvedObject.name==web-1"
    )
    assert [e.involved_object.name for e in both.items] == ["web-1"]
    by_namespace = core.list_event_for_all_namespaces(field_selector="metadata.namespace=other")
    assert len(by_namespace.items) == 1
    first = pods.items[0].metadata.name
    by_name = core.list_namespaced_event("default", field_selector=f"metadata.name={first}")
    assert _names(by_name) == [first]
    events_v1 = client.EventsV1Api(fake_api_client).list_namespaced_event(
        "default", field_selector="regarding.kind=Node", _preload_content=False
    )
    assert b'"name":"node-1"' in events_v1.data


def test_list_kind_and_resource_version(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    fake_apiserver.inject_events(2)
    response = client.CoreV1Api(fake_api_client).list_namespaced_event(
        "default", _preload_content=False
    )
    body = response.json()
    assert body["kind"] == "EventList"
    assert body["apiVersion"] == "v1"
    assert body["metadata"]["resourceVersion"] == fake_apiserver.resource_version
    assert all(item["kind"] == "Event" for item in body["items"])


def test_paging_with_limit_and_continue(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    created = fake_apiserver.inject_events(5)
    core = client.CoreV1Api(fake_api_client)
    first = core.list_namespaced_event("default", limit=2)
    assert len(first.items) == 2
    assert first.metadata.remaining_item_count == 3
    fake_apiserver.inject_events(1, involved_name="late")  # pages keep the first snapshot
    second = core.list_namespaced_event("default", limit=2, _continue=first.metadata._continue)
    third = core.list_namespaced_event("default", limit=2, _continue=second.metadata._continue)
    assert third.metadata._continue is None
    names = _names(first) + _names(second) + _names(third)
    assert names == sorted(e["metadata"]["name"] for e in created)
    assert second.metadata.resource_version == first.metadata.resource_version


def test_expired_continue_token_is_410(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    fake_apiserver.inject_events(3)
    core = client.CoreV1Api(fake_api_client)
    first = core.list_namespaced_event("default", limit=1)
    fake_apiserver.inject_events(1)
    fake_apiserver.compact()
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_event("default", limit=1, _continue=first.metadata._continue)
    assert caught.value.status == 410
    assert '"reason":"Expired"' in caught.value.body


def test_exact_resource_version_reads_the_past(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    fake_apiserver.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
    then = fake_apiserver.resource_version
    fake_apiserver.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}})
    fake_apiserver.patch("configmaps", "a", {"data": {"k": "v"}})
    core = client.CoreV1Api(fake_api_client)
    past = core.list_namespaced_config_map(
        "default", resource_version=then, resource_version_match="Exact"
    )
    assert _names(past) == ["a"]
    assert past.items[0].data is None
    assert past.metadata.resource_version == then
    recent = core.list_namespaced_config_map(
        "default", resource_version=then, resource_version_match="NotOlderThan"
    )
    assert _names(recent) == ["a", "b"]
    assert recent.metadata.resource_version == fake_apiserver.resource_version
    fake_apiserver.compact()
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_config_map(
            "default", resource_version=then, resource_version_match="Exact"
        )
    assert caught.value.status == 410


def test_resource_version_match_without_version_is_400(fake_api_client: ApiClient) -> None:
    with pytest.raises(ApiException) as caught:
        client.CoreV1Api(fake_api_client).list_namespaced_config_map(
            "default", resource_version_match="Exact"
        )
    assert caught.value.status == 400


def test_history_bound_expires_old_versions() -> None:
    with FakeApiServer(history=3) as fake, fake.api_client() as api_client:
        fake.inject_events(1)
        old = fake.resource_version
        fake.inject_events(4)
        with pytest.raises(ApiException) as caught:
            client.CoreV1Api(api_client).list_namespaced_event(
                "default", resource_version=old, resource_version_match="Exact"
            )
        assert caught.value.status == 410
        recent = str(int(fake.resource_version) - 2)
        listed = client.CoreV1Api(api_client).list_namespaced_event(
            "default", resource_version=recent, resource_version_match="Exact"
        )
        assert len(listed.items) == 3
