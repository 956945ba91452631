"""The fake apiserver against the real ``kubernetes`` client: auth, discovery, writes.

Behaviour follows the Kubernetes API concepts page (kubernetes.io/docs/reference/using-api/
api-concepts): "Resource versions", "Efficient detection of changes", "Retrieving large
results sets in chunks", and the Status kind of "Response status kind".
"""

from __future__ import annotations

import asyncio

import pytest
from kubernetes import client
from kubernetes.client import ApiClient, ApiException
from kubernetes.dynamic import DynamicClient

from cesdk_kubernetes.testing import ApiStatusError, FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_api_client, fake_apiserver

__all__ = ["fake_api_client", "fake_apiserver"]

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def _config_map(name: str, **data: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


# Connection: TLS, token, kubeconfig ------------------------------------------------------


def test_kubeconfig_names_server_ca_and_token(fake_apiserver: FakeApiServer) -> None:
    configuration = fake_apiserver.configuration()
    assert configuration.host == fake_apiserver.url
    assert configuration.host.startswith("https://127.0.0.1:")
    assert configuration.ssl_ca_cert == str(fake_apiserver.ca_path)
    auth = configuration.auth_settings()["BearerToken"]
    assert auth["value"] == f"Bearer {fake_apiserver.token}"


def test_wrong_or_missing_token_is_401_status(fake_apiserver: FakeApiServer) -> None:
    for token in ("not-the-token", None):
        configuration = fake_apiserver.configuration()
        configuration.refresh_api_key_hook = None  # else the kubeconfig token comes back
        configuration.api_key = {"BearerToken": f"Bearer {token}"} if token else {}
        with ApiClient(configuration) as api_client, pytest.raises(ApiException) as caught:
            client.CoreV1Api(api_client).list_namespaced_config_map("default")
        assert caught.value.status == 401
        assert '"kind":"Status"' in caught.value.body
        assert '"reason":"Unauthorized"' in caught.value.body
    assert [r.status for r in fake_apiserver.requests] == [401, 401]


def test_untrusted_certificate_is_refused(fake_apiserver: FakeApiServer) -> None:
    configuration = fake_apiserver.configuration()
    configuration.ssl_ca_cert = None  # the system CAs do not know the fake's CA
    with ApiClient(configuration) as api_client, pytest.raises(Exception, match="CERTIFICATE"):
        client.CoreV1Api(api_client).list_namespace(_request_timeout=5)


# Discovery --------------------------------------------------------------------------------


def test_version_and_core_discovery(fake_api_client: ApiClient) -> None:
    version = client.VersionApi(fake_api_client).get_code()
    assert version.git_version == "v1.31.0"
    resources = client.CoreV1Api(fake_api_client).get_api_resources()
    by_name = {r.name: r for r in resources.resources}
    assert by_name["events"].namespaced is True
    assert by_name["namespaces"].namespaced is False
    assert by_name["pods/status"].verbs == ["get", "patch", "update"]
    assert "watch" in by_name["configmaps"].verbs
    groups = {g.name for g in client.ApisApi(fake_api_client).get_api_versions().groups}
    assert {"events.k8s.io", "coordination.k8s.io", "apps", "apiextensions.k8s.io"} <= groups


def test_dynamic_client_discovers_and_uses_resources(fake_api_client: ApiClient, tmp_path) -> None:
    dynamic = DynamicClient(fake_api_client, cache_file=str(tmp_path / "discovery.json"))
    leases = dynamic.resources.get(api_version="coordination.k8s.io/v1", kind="Lease")
    assert leases.namespaced
    created = leases.create(
        body={"metadata": {"name": "leader"}, "spec": {"holderIdentity": "a"}}, namespace="default"
    )
    assert created.metadata.uid
    fetched = leases.get(name="leader", namespace="default")
    assert fetched.spec.holderIdentity == "a"
    pods = dynamic.resources.get(api_version="v1", kind="Pod")
    assert pods.subresources["status"].kind == "Pod"


def test_disabled_group_is_absent_and_404() -> None:
    with FakeApiServer(disabled_groups={"events.k8s.io"}) as fake, fake.api_client() as api_client:
        groups = {g.name for g in client.ApisApi(api_client).get_api_versions().groups}
        assert "events.k8s.io" not in groups
        assert "coordination.k8s.io" in groups
        with pytest.raises(ApiException) as caught:
            client.EventsV1Api(api_client).list_namespaced_event("default")
        assert caught.value.status == 404
        assert '"reason":"NotFound"' in caught.value.body
        assert client.CoreV1Api(api_client).list_namespaced_event("default").items == []


# Create, read, update, delete -------------------------------------------------------------


def test_create_answers_201_with_server_fields(fake_api_client: ApiClient) -> None:
    core = client.CoreV1Api(fake_api_client)
    created, status, _ = core.create_namespaced_config_map_with_http_info(
        "default", _config_map("a", k="v")
    )
    assert status == 201
    assert len(created.metadata.uid) == 36
    assert created.metadata.resource_version.isdigit()
    assert created.metadata.creation_timestamp is not None
    assert created.metadata.generation == 1
    assert created.metadata.namespace == "default"
    again = _config_map("b")
    second = core.create_namespaced_config_map("default", again)
    assert int(second.metadata.resource_version) > int(created.metadata.resource_version)


def test_generate_name_and_already_exists(fake_api_client: ApiClient) -> None:
    core = client.CoreV1Api(fake_api_client)
    body = {"metadata": {"generateName": "cfg-"}, "data": {}}
    first = core.create_namespaced_config_map("default", body)
    second = core.create_namespaced_config_map("default", body)
    assert first.metadata.name.startswith("cfg-")
    assert len(first.metadata.name) == 9
    assert first.metadata.name != second.metadata.name
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_config_map("default", _config_map(first.metadata.name))
    assert caught.value.status == 409
    assert '"reason":"AlreadyExists"' in caught.value.body


def test_missing_object_is_404_status(fake_api_client: ApiClient) -> None:
    with pytest.raises(ApiException) as caught:
        client.CoreV1Api(fake_api_client).read_namespaced_config_map("nope", "default")
    assert caught.value.status == 404
    assert 'configmaps \\"nope\\" not found' in caught.value.body


def test_invalid_name_is_422(fake_api_client: ApiClient) -> None:
    with pytest.raises(ApiException) as caught:
        client.CoreV1Api(fake_api_client).create_namespaced_config_map(
            "default", _config_map("Not_Valid")
        )
    assert caught.value.status == 422
    assert '"reason":"Invalid"' in caught.value.body


def test_update_with_stale_resource_version_is_409(fake_api_client: ApiClient) -> None:
    core = client.CoreV1Api(fake_api_client)
    created = core.create_namespaced_config_map("default", _config_map("cfg", k="1"))
    created.data = {"k": "2"}
    updated = core.replace_namespaced_config_map("cfg", "default", created)
    assert updated.data == {"k": "2"}
    assert int(updated.metadata.resource_version) > int(created.metadata.resource_version)
    assert updated.metadata.uid == created.metadata.uid
    created.data = {"k": "3"}  # still carries the first resourceVersion
    with pytest.raises(ApiException) as caught:
        core.replace_namespaced_config_map("cfg", "default", created)
    assert caught.value.status == 409
    assert '"reason":"Conflict"' in caught.value.body
    assert core.read_namespaced_config_map("cfg", "default").data == {"k": "2"}


def test_no_op_update_keeps_resource_version(fake_api_client: ApiClient) -> None:
    core = client.CoreV1Api(fake_api_client)
    created = core.create_namespaced_config_map("default", _config_map("cfg", k="1"))
    same = core.replace_namespaced_config_map("cfg", "default", created)
    assert same.metadata.resource_version == created.metadata.resource_version


def test_merge_json_and_strategic_patches(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    core = client.CoreV1Api(fake_api_client)
    core.create_namespaced_config_map("default", _config_map("cfg", a="1", b="2"))
    merged = core.patch_namespaced_config_map(
        "cfg", "default", {"data": {"a": None, "c": "3"}}, _content_type=MERGE
    )
    assert merged.data == {"b": "2", "c": "3"}
    patched = core.patch_namespaced_config_map(
        "cfg",
        "default",
        [
            {"op": "test", "path": "/data/b", "value": "2"},
            {"op": "replace", "path": "/data/b", "value": "20"},
            {"op": "add", "path": "/metadata/labels", "value": {"app": "web"}},
            {"op": "remove", "path": "/data/c"},
        ],
        _content_type=JSON_PATCH,
    )
    assert patched.data == {"b": "20"}
    assert patched.metadata.labels == {"app": "web"}
    strategic = core.patch_namespaced_config_map("cfg", "default", {"data": {"d": "4"}})
    assert strategic.data == {"b": "20", "d": "4"}
    content_types = [r.headers.get("content-type") for r in fake_apiserver.requests]
    assert content_types[-3:] == [MERGE, JSON_PATCH, "application/strategic-merge-patch+json"]


def test_failed_json_patch_test_is_422(fake_api_client: ApiClient) -> None:
    core = client.CoreV1Api(fake_api_client)
    core.create_namespaced_config_map("default", _config_map("cfg", a="1"))
    with pytest.raises(ApiException) as caught:
        core.patch_namespaced_config_map(
            "cfg",
            "default",
            [{"op": "test", "path": "/data/a", "value": "2"}],
            _content_type=JSON_PATCH,
        )
    assert caught.value.status == 422
    assert core.read_namespaced_config_map("cfg", "default").data == {"a": "1"}


def test_patch_with_stale_resource_version_is_409(fake_api_client: ApiClient) -> None:
    core = client.CoreV1Api(fake_api_client)
    created = core.create_namespaced_config_map("default", _config_map("cfg", a="1"))
    core.patch_namespaced_config_map("cfg", "default", {"data": {"a": "2"}}, _content_type=MERGE)
    stale = {"metadata": {"resourceVersion": created.metadata.resource_version}, "data": {"a": "3"}}
    with pytest.raises(ApiException) as caught:
        core.patch_namespaced_config_map("cfg", "default", stale, _content_type=MERGE)
    assert caught.value.status == 409


def test_status_subresource_and_generation(fake_api_client: ApiClient) -> None:
    apps = client.AppsV1Api(fake_api_client)
    body = {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
        "status": {"replicas": 99},
    }
    created = apps.create_namespaced_deployment("default", body)
    assert created.status is None or created.status.replicas is None  # status ignored on create
    status = apps.patch_namespaced_deployment_status(
        "web", "default", {"status": {"replicas": 1, "readyReplicas": 1}}, _content_type=MERGE
    )
    assert status.status.ready_replicas == 1
    assert status.metadata.generation == 1  # a status write is no spec change
    main = apps.patch_namespaced_deployment(
        "web", "default", {"spec": {"replicas": 3}, "status": {"replicas": 0}}, _content_type=MERGE
    )
    assert main.spec.replicas == 3
    assert main.status.replicas == 1  # the main resource ignores status
    assert main.metadata.generation == 2
    labelled = apps.patch_namespaced_deployment(
        "web", "default", {"metadata": {"labels": {"x": "y"}}}, _content_type=MERGE
    )
    assert labelled.metadata.generation == 2  # metadata is no spec change either


def test_delete_returns_object_then_404(fake_api_client: ApiClient) -> None:
    core = client.CoreV1Api(fake_api_client)
    core.create_namespaced_config_map("default", _config_map("cfg", a="1"))
    deleted, status, _ = core.delete_namespaced_config_map_with_http_info("cfg", "default")
    assert status == 200
    assert deleted["metadata"]["name"] == "cfg"  # the client reads it as a V1Status dict
    with pytest.raises(ApiException) as caught:
        core.delete_namespaced_config_map("cfg", "default")
    assert caught.value.status == 404


def test_delete_precondition_and_finalizers(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    core = client.CoreV1Api(fake_api_client)
    created = fake_apiserver.create(
        {**_config_map("cfg"), "metadata": {"name": "cfg", "finalizers": ["example.com/keep"]}}
    )
    with pytest.raises(ApiException) as caught:
        core.delete_namespaced_config_map("cfg", "default", body={"preconditions": {"uid": "x"}})
    assert caught.value.status == 409
    marked = fake_apiserver.delete("configmaps", "cfg")
    assert marked["metadata"]["deletionTimestamp"]
    kept = core.read_namespaced_config_map("cfg", "default")
    assert kept.metadata.uid == created["metadata"]["uid"]
    assert kept.metadata.deletion_timestamp is not None
    fake_apiserver.patch("configmaps", "cfg", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiStatusError) as gone:
        fake_apiserver.get("configmaps", "cfg")
    assert gone.value.code == 404


# Helpers used as "another client" ------------------------------------------------------------


def test_direct_helpers_share_state_with_the_api(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    core = client.CoreV1Api(fake_api_client)
    fake_apiserver.create(_config_map("from-helper", a="1"))
    assert core.read_namespaced_config_map("from-helper", "default").data == {"a": "1"}
    core.create_namespaced_config_map("default", _config_map("from-api", b="2"))
    assert fake_apiserver.get("configmaps", "from-api")["data"] == {"b": "2"}
    names = [o["metadata"]["name"] for o in fake_apiserver.list("cm")]
    assert names == ["from-api", "from-helper"]
    with pytest.raises(ApiStatusError) as caught:
        fake_apiserver.create(_config_map("from-api"))
    assert caught.value.code == 409
    assert caught.value.reason == "AlreadyExists"


def test_fail_next_injects_errors_then_recovers(
    fake_apiserver: FakeApiServer, fake_api_client: ApiClient
) -> None:
    core = client.CoreV1Api(fake_api_client)
    # 500, not 503 or 429: urllib3 itself retries those GETs when Retry-After is sent.
    fake_apiserver.fail_next(2, 500, method="GET", path="/configmaps", retry_after=3)
    for _ in range(2):
        with pytest.raises(ApiException) as caught:
            core.list_namespaced_config_map("default")
        assert caught.value.status == 500
        assert caught.value.headers["Retry-After"] == "3"
        assert '"reason":"InternalError"' in caught.value.body
    assert core.list_namespaced_config_map("default").items == []
    statuses = [(r.method, r.path, r.status) for r in fake_apiserver.requests]
    assert statuses == [
        ("GET", "/api/v1/namespaces/default/configmaps", s) for s in (500, 500, 200)
    ]


async def test_async_with_and_calls_from_async_code() -> None:
    async with FakeApiServer() as fake:
        fake.create(_config_map("cfg", a="1"))

        def read() -> dict[str, str]:
            with fake.api_client() as api_client:
                return (
                    client.CoreV1Api(api_client).read_namespaced_config_map("cfg", "default").data
                )

        assert await asyncio.to_thread(read) == {"a": "1"}
    assert not fake.serving
