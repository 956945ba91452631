"""cesdk-webhook: POST CloudEvents to HTTP endpoints, signed with Standard Webhooks.

::

    import cesdk
    from cesdk_webhook import WebhookSink

    route = cesdk.Route(WebhookSink("https://hooks.example.com/in", mode="structured"))

In YAML it is the sink ``use: webhook``.
"""

from cesdk_webhook._signing import Signer, message_id
from cesdk_webhook._sink import WebhookSink
from cesdk_webhook._template import Template, TemplateError

__all__ = ["Signer", "Template", "TemplateError", "WebhookSink", "message_id"]
