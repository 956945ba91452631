"""Test kit for the Kafka adapter: a real Kafka-protocol broker on free ports.

Use it in tests::

    from cesdk_kafka.testing import KafkaBroker

and the ``kafka_broker`` pytest fixture by importing it into your ``conftest.py``
from ``cesdk_kafka.testing.fixtures``. ``CESDK_KAFKA_BOOTSTRAP=host:port`` runs
the tests against a real Kafka cluster instead of Tansu.
"""

from cesdk_kafka.testing._broker import BOOTSTRAP_ENV, KafkaBroker, tansu_binary

__all__ = ["BOOTSTRAP_ENV", "KafkaBroker", "tansu_binary"]
