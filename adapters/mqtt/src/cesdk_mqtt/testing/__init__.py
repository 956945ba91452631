"""Test kit for MQTT: a real Mosquitto broker (``MosquittoServer``).

For the pytest fixtures ``mosquitto`` (one broker per test session) and
``restartable_mosquitto`` (one per test), import them in your ``conftest.py``::

    from cesdk_mqtt.testing.fixtures import mosquitto, restartable_mosquitto  # noqa: F401
"""

from cesdk_mqtt.testing._server import MosquittoServer, find_mosquitto

__all__ = ["MosquittoServer", "find_mosquitto"]
