"""Shared pieces of the SMTP sink tests."""

from __future__ import annotations

from typing import Any

import cesdk
from cesdk_smtp import SmtpSink
from cesdk_smtp.testing import ReceivedMessage, SmtpServer

SENDER = "Alerts <alerts@example.com>"


def k8s_event(n: int = 0, **changes: Any) -> cesdk.CloudEvent:
    """A Kubernetes Warning event as the Kubernetes source emits it."""
    data = {
        "type": "Warning",
        "reason": "BackOff",
        "message": f"Back-off restarting failed container web (attempt {n})",
        "involvedObject": {"kind": "Pod", "name": f"web-{n}", "namespace": "prod"},
        "count": 3,
        "firstTimestamp": "2024-05-01T10:00:00Z",
        "lastTimestamp": "2024-05-01T10:05:00Z",
    }
    attributes: dict[str, Any] = {
        "type": "io.k8s.event.warning",
        "source": "/k8s/prod",
        "id": f"k8s-{n}",
        "subject": f"pod/web-{n}",
        "data": data,
    }
    attributes.update(changes)
    return cesdk.CloudEvent(**attributes)


def plain_sink(server: SmtpServer, **options: Any) -> SmtpSink:
    """A sink for a plain (no TLS, no AUTH) test server."""
    options.setdefault("from_addr", SENDER)
    if "to_template" not in options:
        options.setdefault("to", ["oncall@example.com"])
    options.setdefault("timeout", 5)
    return SmtpSink(server.host, server.port, tls="none", **options)


def as_event(mail: ReceivedMessage) -> cesdk.CloudEvent:
    """The event a mail was about, from its X-CloudEvents-* headers."""
    return cesdk.CloudEvent(
        id=mail.header("X-CloudEvents-Id"),
        source=mail.header("X-CloudEvents-Source"),
        type=mail.header("X-CloudEvents-Type"),
    )
