"""cesdk-amqp: CloudEvents from and to RabbitMQ, over AMQP 0-9-1 or AMQP 1.0.

``AmqpSource`` consumes a queue with manual acknowledgements, settling each message
when the pipeline does; ``AmqpSink`` publishes to an exchange with publisher
confirms. Both use cesdk's AMQP protocol binding (``cesdk.bindings.amqp``): binary
mode with ``cloudEvents_`` headers, or structured mode. ``protocol="1.0"`` on either
speaks AMQP 1.0 through python-qpid-proton (extra ``amqp10``) to RabbitMQ's
``rabbitmq_amqp1_0`` plugin. Peers for tests: ``cesdk_amqp.testing``.

Example:
    ::

        import cesdk
        from cesdk_amqp import AmqpSink, AmqpSource

        pipeline = cesdk.Pipeline(
            AmqpSource("notifier", exchange="k8s", routing_key="#"),
            routes=[cesdk.Route(AmqpSink("alerts.{type}", exchange="alerts"))],
        )
"""

from cesdk_amqp._routing import RoutingKeyTemplate
from cesdk_amqp._sink import AmqpSink
from cesdk_amqp._source import AmqpSource

__all__ = ["AmqpSink", "AmqpSource", "RoutingKeyTemplate"]
