"""cesdk-http: receive CloudEvents and plain-JSON webhooks over HTTP.

``HttpSource`` is an ASGI application and, run by a pipeline, its own uvicorn server::

    import cesdk
    from cesdk_http import HttpSource

    pipeline = cesdk.Pipeline(HttpSource(port=8080), routes=[cesdk.Route(cesdk.ConsoleSink())])

In YAML it is the source ``use: http``. ``WebSocketSource`` and ``WebSocketSink``
(``use: websocket``) carry CloudEvents over WebSockets.
"""

from cesdk_http._plain_json import JsonWebhook
from cesdk_http._security import SignatureCheck, decode_secret, sign
from cesdk_http._source import HttpSource
from cesdk_http._ws_client import WebSocketHandshakeError
from cesdk_http._ws_sink import WebSocketSink
from cesdk_http._ws_source import WebSocketSource

__all__ = [
    "HttpSource",
    "JsonWebhook",
    "SignatureCheck",
    "WebSocketHandshakeError",
    "WebSocketSink",
    "WebSocketSource",
    "decode_secret",
    "sign",
]
