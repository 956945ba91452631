"""Test kit for AMQP: a real RabbitMQ broker (``RabbitMQServer``).

For the pytest fixtures ``rabbitmq_server`` (one broker per test session, or per
xdist worker) and ``restartable_rabbitmq_server`` (a test's own), import them in your
``conftest.py``::

    from cesdk_amqp.testing.fixtures import rabbitmq_server  # noqa: F401
"""

from cesdk_amqp.testing._server import RabbitMQServer, amqp_handshake, find_rabbitmq_server

__all__ = ["RabbitMQServer", "amqp_handshake", "find_rabbitmq_server"]
