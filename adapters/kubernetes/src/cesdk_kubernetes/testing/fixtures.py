"""pytest fixtures for Kubernetes: a fake apiserver per test (no binary needed, never skipped).

Import them into a ``conftest.py`` or a test module::

    from cesdk_kubernetes.testing.fixtures import fake_api_client, fake_apiserver  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from cesdk_kubernetes.testing._server import FakeApiServer

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["fake_api_client", "fake_apiserver"]


@pytest.fixture
def fake_apiserver() -> Iterator[FakeApiServer]:
    """A ``FakeApiServer`` on a free loopback port, serving for the test.

    Works in sync and async tests alike (the server has its own thread and loop).
    """
    with FakeApiServer() as server:
        yield server


@pytest.fixture
def fake_api_client(fake_apiserver: FakeApiServer) -> Iterator[ApiClient]:
    """A ``kubernetes.client.ApiClient`` for ``fake_apiserver``, closed after the test."""
    client = fake_apiserver.api_client()
    yield client
    client.close()  # type: ignore[no-untyped-call]  # ApiClient.close has no annotations
