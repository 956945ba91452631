"""Test kit for Kubernetes: a fake kube-apiserver the real ``kubernetes`` client talks to.

``FakeApiServer`` serves HTTPS with a bearer token on 127.0.0.1, writes a kubeconfig for
clients in this or another process, and lets tests inject Events, compact history, drop
watches, restart and fail requests::

    from cesdk_kubernetes.testing import FakeApiServer

    with FakeApiServer() as fake:
        api = kubernetes.client.CoreV1Api(fake.api_client())

For the pytest fixture ``fake_apiserver`` (one server per test), import it in your
``conftest.py`` or test module::

    from cesdk_kubernetes.testing.fixtures import fake_apiserver  # noqa: F401
"""

from cesdk_kubernetes.testing._http import RecordedRequest
from cesdk_kubernetes.testing._server import FakeApiServer
from cesdk_kubernetes.testing._status import ApiStatusError

__all__ = ["ApiStatusError", "FakeApiServer", "RecordedRequest"]
