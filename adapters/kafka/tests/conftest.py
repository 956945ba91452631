"""Fixtures for the Kafka adapter tests: a real Kafka-protocol broker and fresh topics.

``kafka_broker`` is Tansu on free ports for the whole session, or the cluster that
``CESDK_KAFKA_BOOTSTRAP`` names; ``redis_server`` comes from the root ``conftest.py``.
"""

from __future__ import annotations

from cesdk_kafka.testing.fixtures import kafka_broker

__all__ = ["kafka_broker"]
