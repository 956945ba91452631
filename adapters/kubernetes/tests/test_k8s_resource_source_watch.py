"""KubernetesResourceSource against the fake apiserver: custom and built-in resources.

Kubernetes API concepts: watch events ADDED / MODIFIED / DELETED, each carrying the
object at its new resourceVersion; ``410 Gone`` means list again. Ids follow
CloudEvents core 1.0 §3.1.1 (``source`` + ``id`` identify one event): ``<uid>.<rv>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cesdk
from cesdk_kubernetes import KubernetesResourceSource
from cesdk_kubernetes.testing import FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_apiserver
from k8s_source_helpers import take

__all__ = ["fake_apiserver"]

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [{"name": "v1", "served": True, "storage": True}],
    },
}


def widget(name: str, namespace: str = "default", size: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"size": size},
    }


def widgets(fake: FakeApiServer, **options: Any) -> KubernetesResourceSource:
    fake.add_crd(CRD)
    return KubernetesResourceSource(
        "widgets.example.com", kubeconfig=str(fake.kubeconfig_path), **options
    )


async def test_custom_resource_added_modified_deleted(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    source = widgets(fake, cluster_name="lab")
    existing = fake.create(widget("w0"))
    async with source:
        [listed] = await take(source, 1)
        made = fake.create(widget("w1", namespace="shop"))
        changed = fake.patch("widgets.example.com", "w1", {"spec": {"size": 2}}, namespace="shop")
        fake.delete("widgets.example.com", "w1", namespace="shop")
        added, modified, deleted = await take(source, 3)
    assert listed.event is not None
    assert listed.event.type == "io.k8s.resource.added"
    assert (
        listed.event.id
        == f"{existing['metadata']['uid']}.{existing['metadata']['resourceVersion']}"
    )
    assert listed.event.time is not None
    events = [d.event for d in (added, modified, deleted)]
    assert all(e is not None for e in events)
    assert [e.type for e in events if e] == [
        "io.k8s.resource.added",
        "io.k8s.resource.modified",
        "io.k8s.resource.deleted",
    ]
    uid = made["metadata"]["uid"]
    assert [e.id for e in events if e] == [
        f"{uid}.{made['metadata']['resourceVersion']}",
        f"{uid}.{changed['metadata']['resourceVersion']}",
        f"{uid}.deleted",
    ]
    event = modified.event
    assert event is not None
    assert event.source == "/k8s/lab/shop"
    assert event.subject == "Widget/w1"
    assert dict(event.extensions) == {
        "k8suid": uid,
        "k8sgroup": "example.com",
        "k8sversion": "v1",
        "k8sresource": "widgets",
        "k8skind": "Widget",
        "k8sname": "w1",
        "k8snamespace": "shop",
        "k8sresourceversion": changed["metadata"]["resourceVersion"],
        "k8sgeneration": changed["metadata"]["generation"],
    }
    assert event.data["spec"] == {"size": 2}


async def test_cluster_scoped_builtin_resource(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    source = KubernetesResourceSource("namespaces", kubeconfig=str(fake.kubeconfig_path))
    async with source:
        listed = await take(source, 3)
        fake.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "new-one"}})
        [added] = await take(source, 1)
        assert source.namespaced is False
    names = sorted(d.event["k8sname"] for d in listed if d.event)
    assert names == ["default", "kube-public", "kube-system"]
    assert added.event is not None
    assert added.event.source == "/k8s/kubernetes"
    assert added.event.subject == "Namespace/new-one"


async def test_emit_existing_false_and_restart_does_not_reemit(
    fake_apiserver: FakeApiServer, tmp_path: Path
) -> None:
    fake = fake_apiserver
    checkpoint = f"file://{tmp_path / 'cp.json'}"
    source = widgets(fake, emit_existing=False, checkpoint=checkpoint)
    fake.create(widget("old"))
    async with source:
        await fake.wait_for_watches_async(1)
        fake.create(widget("new"))
        [first] = await take(source, 1)
    fake.patch("widgets.example.com", "old", {"spec": {"size": 5}})
    async with KubernetesResourceSource(
        "widgets", group="example.com", kubeconfig=str(fake.kubeconfig_path), checkpoint=checkpoint
    ) as again:
        [second] = await take(again, 1)
    assert first.event is not None
    assert first.event["k8sname"] == "new"
    assert second.event is not None
    assert (second.event.type, second.event["k8sname"]) == ("io.k8s.resource.modified", "old")


async def test_relist_after_gone_reports_changes_and_deletions(
    fake_apiserver: FakeApiServer,
) -> None:
    fake = fake_apiserver
    source = widgets(fake)
    for name in ("keep", "change", "remove"):
        fake.create(widget(name))
    async with source:
        await take(source, 3)
        await fake.wait_for_watches_async(1)
        fake.stop_serving()
        fake.patch("widgets.example.com", "change", {"spec": {"size": 9}})
        gone = fake.delete("widgets.example.com", "remove")
        fake.create(widget("fresh"))
        fake.compact()
        fake.start_serving()
        got = await take(source, 3, timeout=30)
    by_name = {d.event["k8sname"]: d.event for d in got if d.event}
    assert sorted(by_name) == ["change", "fresh", "remove"]
    assert by_name["change"].type == "io.k8s.resource.modified"
    assert by_name["fresh"].type == "io.k8s.resource.added"
    removed = by_name["remove"]
    assert removed.type == "io.k8s.resource.deleted"
    assert removed.id == f"{gone['metadata']['uid']}.deleted"  # as a watched deletion's id
    assert removed["k8sfinalstateunknown"] is True


async def test_unknown_resource_is_a_clear_error(fake_apiserver: FakeApiServer) -> None:
    source = KubernetesResourceSource(
        "gizmos", group="apps", kubeconfig=str(fake_apiserver.kubeconfig_path)
    )
    with pytest.raises(
        cesdk.ConfigError, match="apps/v1 has no resource 'gizmos'; it serves deployments"
    ):
        async with source:
            pass
    source = KubernetesResourceSource(
        "widgets", group="nowhere.io", kubeconfig=str(fake_apiserver.kubeconfig_path)
    )
    with pytest.raises(cesdk.ConfigError, match=r"does not serve nowhere\.io/v1"):
        async with source:
            pass


async def test_objects_without_uid_are_undecodable() -> None:
    from cesdk_kubernetes._resource_source import ResourceDecoder

    source = KubernetesResourceSource("pods")
    item = ResourceDecoder(source, 10).decode(
        "ADDED", {"kind": "Pod", "metadata": {}}, b"{}", emit=True
    )
    assert item.event is None
    assert item.raw == b"{}"
    assert "uid" in str(item.error)
