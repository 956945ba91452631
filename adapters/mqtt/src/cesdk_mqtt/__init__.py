"""cesdk-mqtt: CloudEvents from and to MQTT 5.0 and 3.1.1 brokers.

``MqttSource`` subscribes to topic filters and acknowledges each QoS 1 message only
once the pipeline has settled it (at least once; with ``persistent=True`` across
restarts too); ``MqttSink`` publishes with QoS 1 and waits for the broker's PUBACK.
Both use cesdk's MQTT protocol binding (``cesdk.bindings.mqtt``): binary or
structured on MQTT 5, structured JSON on MQTT 3.1.1. A real broker for tests:
``cesdk_mqtt.testing``.

Example:
    ::

        import cesdk
        from cesdk_mqtt import MqttSink, MqttSource

        pipeline = cesdk.Pipeline(
            MqttSource("k8s/#", host="broker", persistent=True, client_id="notifier"),
            routes=[cesdk.Route(MqttSink("alerts/{type}", host="broker"))],
        )
"""

from cesdk_mqtt._sink import MqttSink
from cesdk_mqtt._source import MqttSource
from cesdk_mqtt._topic import TopicTemplate

__all__ = ["MqttSink", "MqttSource", "TopicTemplate"]
