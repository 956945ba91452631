"""Find the format of a WebSocket subprotocol for the binding tests, or say why not.

Structured modes and the WebSockets binding resolve formats through
``cesdk.formats.lookup``, that is, through the ``cesdk.formats`` entry points (``avro``
and ``protobuf`` come with their extras). A test that needs a format that is not
installed skips with the reason, and fails under ``CI=true``
(``cesdk.testing.peer_missing``).
"""

from __future__ import annotations

import pytest

import cesdk
from cesdk.bindings import websockets
from cesdk.formats import Format
from cesdk.testing import peer_missing

__all__ = ["require_format"]

_EXTRAS = {"cloudevents.avro": "avro", "cloudevents.proto": "protobuf"}


def require_format(subprotocol: str) -> Format:
    """Return the format of a subprotocol; skip (fail under CI) when it is not installed."""
    try:
        return websockets.format_for(subprotocol)
    except cesdk.DecodeError:
        extra = _EXTRAS.get(subprotocol)
        if extra is None:
            raise
        pytest.skip(peer_missing(f"the {extra} event format", f'pip install "cesdk[{extra}]"'))
