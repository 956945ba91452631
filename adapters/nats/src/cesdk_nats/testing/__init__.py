"""Test kit for NATS: a real ``nats-server`` with JetStream (``NatsServer``).

For the pytest fixture ``nats_server`` (one server per test session), import it
in your ``conftest.py``::

    from cesdk_nats.testing.fixtures import nats_server  # noqa: F401
"""

from cesdk_nats.testing._server import NatsServer, find_nats_server

__all__ = ["NatsServer", "find_nats_server"]
