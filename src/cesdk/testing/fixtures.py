"""pytest fixtures that start real peers; enable with ``pytest_plugins``.

A fixture skips when its peer binary is missing, unless ``CI=true``, where the missing
peer fails the run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cesdk.testing._peers import RedisServer

__all__ = ["redis_server"]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A ``redis-server`` on a free loopback port, for the whole session."""
    try:
        server = RedisServer()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    with server:
        yield server
