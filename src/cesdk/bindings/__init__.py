"""Protocol bindings: sans-I/O functions between events and protocol message values.

``cesdk.bindings.http``, ``kafka``, ``nats``, ``amqp`` and ``mqtt`` each map a
``CloudEvent`` to a small frozen message value and back, in binary and structured mode
(and batched mode for HTTP). ``cesdk.bindings.websockets`` negotiates a subprotocol and
encodes events as WebSocket frames. No binding imports a network library.
"""

from cesdk.bindings import amqp, http, kafka, mqtt, nats, websockets

__all__ = ["amqp", "http", "kafka", "mqtt", "nats", "websockets"]
