"""The manifests in deploy/: well-formed, least privilege, the packaged CRD, a valid pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import cesdk
from cesdk_kubernetes import NOTIFICATION_REQUEST_CRD
from cesdk_kubernetes.testing import FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_apiserver

__all__ = ["fake_apiserver"]

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


def documents() -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(DEPLOY.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                found.append((path, doc))
    return found


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for _, d in documents() if d["kind"] == kind}


def rules(role: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def test_every_manifest_is_a_namespace_agnostic_object() -> None:
    docs = documents()
    kinds = sorted({d["kind"] for _, d in docs})
    assert kinds == [
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "CustomResourceDefinition",
        "Deployment",
        "Role",
        "RoleBinding",
        "ServiceAccount",
    ]
    for path, doc in docs:
        assert doc["apiVersion"], path
        assert doc["metadata"]["name"], path
        assert "namespace" not in doc["metadata"], f"{path}: manifests name no namespace"


def test_kustomization_lists_every_file() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    listed = sorted(kustomization["resources"])
    files = sorted(
        str(p.relative_to(DEPLOY)) for p in DEPLOY.rglob("*.yaml") if p.name != "kustomization.yaml"
    )
    assert listed == files


def test_the_crd_is_the_packaged_one() -> None:
    assert (DEPLOY / "crds" / NOTIFICATION_REQUEST_CRD.name).read_bytes() == (
        NOTIFICATION_REQUEST_CRD.read_bytes()
    )
    crd = yaml.safe_load(NOTIFICATION_REQUEST_CRD.read_text())
    assert crd["metadata"]["name"] == "notificationrequests.cesdk.io"
    assert crd["spec"]["scope"] == "Namespaced"
    (version,) = crd["spec"]["versions"]
    assert version["name"] == "v1alpha1"
    assert version["subresources"] == {"status": {}}
    columns = {c["name"]: c for c in version["additionalPrinterColumns"]}
    assert {"Phase", "Attempts", "Age"} <= set(columns)
    assert columns["Phase"]["jsonPath"] == ".status.phase"
    assert columns["Attempts"]["type"] == "integer"
    assert columns["Age"]["jsonPath"] == ".metadata.creationTimestamp"
    schema = version["schema"]["openAPIV3Schema"]
    status = schema["properties"]["status"]["properties"]
    assert status["phase"]["enum"] == ["Pending", "Sending", "Sent", "Failed"]
    assert set(status) >= {"attempts", "lastError", "sentAt", "observedGeneration", "conditions"}
    assert schema["properties"]["spec"]["required"] == ["route"]


def _structural(schema: dict[str, Any], path: str) -> None:
    """Structural schema rule: every node has a type unless it preserves unknown fields."""
    if not schema.get("x-kubernetes-preserve-unknown-fields"):
        assert "type" in schema, f"{path} has no type"
    for name, sub in (schema.get("properties") or {}).items():
        _structural(sub, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        _structural(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        _structural(schema["additionalProperties"], f"{path}{{}}")


def test_the_crd_schema_is_structural_and_serves(fake_apiserver: FakeApiServer) -> None:
    crd = yaml.safe_load(NOTIFICATION_REQUEST_CRD.read_text())
    _structural(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"], "spec")
    assert fake_apiserver.add_crd(NOTIFICATION_REQUEST_CRD) == ["notificationrequests.cesdk.io"]
    made = fake_apiserver.create(
        {
            "apiVersion": "cesdk.io/v1alpha1",
            "kind": "NotificationRequest",
            "metadata": {"name": "x", "namespace": "default"},
            "spec": {"route": "events", "event": {"type": "t"}},
        }
    )
    assert made["metadata"]["generation"] == 1


def test_rbac_is_least_privilege_per_component() -> None:
    roles = {**by_kind("ClusterRole"), **by_kind("Role")}
    assert rules(roles["cesdk-event-source"]) == {
        ("events.k8s.io", "events", "list"),
        ("events.k8s.io", "events", "watch"),
        ("", "events", "list"),
        ("", "events", "watch"),
    }
    state = rules(roles["cesdk-event-source-state"])
    assert ("", "configmaps", "get") in state
    assert ("", "configmaps", "update") in state
    assert ("coordination.k8s.io", "leases", "update") in state
    assert not any(verb in ("delete", "list", "watch", "*") for _, _, verb in state)
    assert rules(roles["cesdk-event-sink"]) == {
        ("events.k8s.io", "events", "create"),
        ("events.k8s.io", "events", "patch"),
        ("events.k8s.io", "events", "get"),
    }
    assert rules(roles["cesdk-notification-operator"]) == {
        ("cesdk.io", "notificationrequests", "list"),
        ("cesdk.io", "notificationrequests", "watch"),
        ("cesdk.io", "notificationrequests", "delete"),
        ("cesdk.io", "notificationrequests/status", "patch"),
    }
    for name, role in roles.items():
        for group, resource, verb in rules(role):
            assert "*" not in (group, resource, verb), f"{name} uses a wildcard"


def test_every_binding_names_a_role_and_the_service_account() -> None:
    roles = {**by_kind("ClusterRole"), **by_kind("Role")}
    accounts = by_kind("ServiceAccount")
    bindings = {**by_kind("ClusterRoleBinding"), **by_kind("RoleBinding")}
    assert set(bindings) == {
        "cesdk-event-source",
        "cesdk-event-source-state",
        "cesdk-event-sink",
        "cesdk-notification-operator",
    }
    for name, binding in bindings.items():
        assert binding["roleRef"]["name"] in roles, name
        kind = binding["roleRef"]["kind"]
        assert roles[binding["roleRef"]["name"]]["kind"] == kind
        for subject in binding["subjects"]:
            assert subject["kind"] == "ServiceAccount"
            assert subject["name"] in accounts
            assert subject["namespace"]  # required by the API for ServiceAccount subjects


def test_deployment_runs_the_configmap_pipeline() -> None:
    (deployment,) = by_kind("Deployment").values()
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] in by_kind("ServiceAccount")
    (container,) = pod["containers"]
    assert container["args"][:2] == ["run", "/etc/cesdk/pipeline.yaml"]
    volume = next(v for v in pod["volumes"] if v["name"] == "pipeline")
    assert volume["configMap"]["name"] in by_kind("ConfigMap")
    mount = next(m for m in container["volumeMounts"] if m["name"] == "pipeline")
    assert mount["mountPath"] == "/etc/cesdk"
    probes = {
        container["readinessProbe"]["httpGet"]["path"],
        container["livenessProbe"]["httpGet"]["path"],
    }
    assert probes == {"/readyz", "/healthz"}


def test_the_configmap_pipeline_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configmap = by_kind("ConfigMap")["cesdk-pipeline"]
    path = tmp_path / "pipeline.yaml"
    path.write_text(configmap["data"]["pipeline.yaml"])
    monkeypatch.setenv("WEBHOOK_URL", "https://hooks.example.com/in")
    monkeypatch.setenv("POD_NAME", "cesdk-0")
    assert cesdk.validate_file(path) == []
    pipeline = cesdk.load_pipeline(path)
    assert [r.name for r in pipeline.routes] == ["events", "webhook"]
    assert type(pipeline.source).__name__ == "NotificationRequestSource"
    assert pipeline.source.routes == ["events", "webhook"]  # type: ignore[union-attr]


def test_the_docs_show_the_deployed_pipeline() -> None:
    snippet = DEPLOY.parent / "docs" / "snippets" / "k8s_operator_pipeline.yaml"
    assert snippet.read_text() == by_kind("ConfigMap")["cesdk-pipeline"]["data"]["pipeline.yaml"]
