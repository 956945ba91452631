"""cesdk-kafka: Kafka sources and sinks for cesdk pipelines (aiokafka).

``KafkaSource`` is a consumer group member that commits each partition's offset only
up to the highest contiguous settled record; ``KafkaSink`` produces with
``acks="all"``::

    import cesdk
    from cesdk_kafka import KafkaSink, KafkaSource

    pipeline = cesdk.Pipeline(
        KafkaSource("orders", bootstrap_servers="kafka:9092", group_id="notify"),
        routes=[cesdk.Route(KafkaSink("alerts", bootstrap_servers="kafka:9092"))],
        ordering="delivery",
    )

In YAML they are ``use: kafka``.
"""

from cesdk_kafka._connection import Connection
from cesdk_kafka._offsets import PartitionOffsets
from cesdk_kafka._sink import KafkaSink
from cesdk_kafka._source import KafkaSource

__all__ = ["Connection", "KafkaSink", "KafkaSource", "PartitionOffsets"]
