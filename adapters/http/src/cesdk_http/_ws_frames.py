"""Turn one received WebSocket message into a queued delivery, decoded or kept raw."""

from __future__ import annotations

import cesdk
from cesdk.bindings import websockets as ws_binding
from cesdk_http._ws_queue import FrameQueue, QueuedFrame

__all__ = ["decode_frame", "payload_size"]


def payload_size(message: str | bytes) -> int:
    """Return the size of a message on the wire: UTF-8 bytes for text."""
    if isinstance(message, str):
        return len(message.encode("utf-8", "surrogatepass"))
    return len(message)


def decode_frame(
    queue: FrameQueue,
    message: str | bytes,
    subprotocol: str,
    *,
    key: str,
    peer: str | None,
    path: str | None,
) -> QueuedFrame:
    """Decode ``message`` (``str`` from a text frame, ``bytes`` from a binary one).

    A frame that is not one event in the agreed format, or of the wrong frame type
    (websockets-protocol-binding.md 1.5), becomes a frame with ``event=None``, the
    reason and the bytes as received: the pipeline dead-letters it, and the
    connection stays open.
    """
    kind = "text" if isinstance(message, str) else "binary"
    body = message.encode("utf-8", "surrogatepass") if isinstance(message, str) else message
    metadata: dict[str, object] = {"frame": kind, "subprotocol": subprotocol, "connection": key}
    if peer is not None:
        metadata["peer"] = peer
    if path is not None:
        metadata["path"] = path
    raw = cesdk.RawMessage(body, (("sec-websocket-protocol", subprotocol),), metadata)
    try:
        event = ws_binding.from_frame((kind, message), subprotocol)
    except Exception as exc:  # a format library's own error too: never crash on input
        return QueuedFrame(queue, None, raw, exc, key)
    return QueuedFrame(queue, event, raw, None, key)
