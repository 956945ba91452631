"""Protocol bindings: sans-I/O functions between events and protocol message values.

``cesdk.bindings.http``, ``cesdk.bindings.kafka`` and ``cesdk.bindings.nats`` each map
a ``CloudEvent`` to a small frozen message value and back, in binary and
structured mode (and batched mode for HTTP). No binding imports a network library.
"""

from cesdk.bindings import http, kafka, nats

__all__ = ["http", "kafka", "nats"]
