"""Serve a custom resource from its CRD manifest and use it with CustomObjectsApi."""

from kubernetes import client

from cesdk_kubernetes.testing import FakeApiServer

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object"}},
            }
        ],
    },
}

with FakeApiServer() as fake, fake.api_client() as api_client:
    fake.add_crd(CRD)  # or a path to a YAML file with one or more CRDs
    widgets = client.CustomObjectsApi(api_client)
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}}
    widgets.create_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", {**widget, "spec": {"size": 1}}
    )
    status = widgets.patch_namespaced_custom_object_status(
        "example.com",
        "v1",
        "default",
        "widgets",
        "w1",
        {"status": {"phase": "Ready"}},
        _content_type="application/merge-patch+json",
    )
    print(status["status"], status["metadata"]["generation"])  # {'phase': 'Ready'} 1
    # Test code can read and change objects directly, as "another client" would.
    fake.patch("widgets.example.com", "w1", {"spec": {"size": 2}})
    print(fake.get("widgets.example.com", "w1")["metadata"]["generation"])  # 2
