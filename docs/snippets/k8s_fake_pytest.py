"""A pytest test of your own code against the ``fake_apiserver`` fixture."""

from kubernetes import client, config

from cesdk_kubernetes.testing import FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_apiserver  # noqa: F401 - the fixture


def count_warnings(kubeconfig: str, namespace: str) -> int:
    """The code under test: it only knows a kubeconfig, as in production."""
    with config.new_client_from_config(config_file=kubeconfig) as api_client:
        events = client.CoreV1Api(api_client).list_namespaced_event(
            namespace, field_selector="type=Warning"
        )
        return len(events.items)


def test_count_warnings(fake_apiserver: FakeApiServer) -> None:  # noqa: F811 - uses the fixture
    fake_apiserver.inject_events(4, type="Warning")
    fake_apiserver.inject_events(1, type="Normal")
    assert count_warnings(str(fake_apiserver.kubeconfig_path), "default") == 4


if __name__ == "__main__":
    with FakeApiServer() as server:  # what the fixture does for each test
        test_count_warnings(server)
