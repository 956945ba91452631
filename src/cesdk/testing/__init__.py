"""The public test kit: memory adapters, a capturing sink, real peers, contract tests.

Use it in your own tests::

    from cesdk.testing import CapturingSink, MemorySource

and, for the pytest fixtures that start real peers (``redis_server``), add to your
``conftest.py``::

    pytest_plugins = ["cesdk.testing.fixtures"]
"""

from cesdk._adapters.memory import MemorySink, MemorySource
from cesdk.testing._capture import CapturingSink
from cesdk.testing._contracts import SinkContract, SourceContract, contract_event
from cesdk.testing._peers import (
    RedisServer,
    free_port,
    peer_missing,
    port_open,
    stop_process,
    until,
    wait_until,
)

__all__ = [
    "CapturingSink",
    "MemorySink",
    "MemorySource",
    "RedisServer",
    "SinkContract",
    "SourceContract",
    "contract_event",
    "free_port",
    "peer_missing",
    "port_open",
    "stop_process",
    "until",
    "wait_until",
]
