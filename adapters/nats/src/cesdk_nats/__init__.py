"""cesdk-nats: CloudEvents from and to NATS, core and JetStream.

``NatsSource`` reads subjects (core NATS, at most once) or a durable JetStream pull
consumer (at least once); ``NatsSink`` publishes, to core NATS or to a stream with a
``Nats-Msg-Id`` for the server's duplicate window. Both use cesdk's NATS protocol
binding (``cesdk.bindings.nats``), binary or structured. Peers for tests:
``cesdk_nats.testing``.

Example:
    ::

        import cesdk
        from cesdk_nats import NatsSink, NatsSource

        pipeline = cesdk.Pipeline(
            NatsSource("k8s.>", jetstream=True, stream="K8S", durable="notifier"),
            routes=[cesdk.Route(NatsSink("alerts.{type}", jetstream=True))],
        )
"""

from cesdk_nats._sink import NatsSink
from cesdk_nats._source import NatsSource
from cesdk_nats._subject import SubjectTemplate

__all__ = ["NatsSink", "NatsSource", "SubjectTemplate"]
