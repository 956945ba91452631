"""pytest fixtures for the Kafka adapter; import ``kafka_broker`` into a ``conftest.py``.

The fixture skips when no broker can be started, unless ``CI=true``, where the missing
peer fails the run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cesdk_kafka.testing._broker import KafkaBroker

__all__ = ["kafka_broker"]


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaBroker]:
    """A Kafka-protocol broker for the whole session (Tansu, or ``CESDK_KAFKA_BOOTSTRAP``)."""
    try:
        broker = KafkaBroker()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    with broker:
        yield broker
