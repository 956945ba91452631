"""cesdk-smtp: mail CloudEvents as text + HTML through an SMTP server (aiosmtplib).

::

    import cesdk
    from cesdk_smtp import SmtpSink

    route = cesdk.Route(
        SmtpSink("smtp.example.com", from_addr="alerts@example.com", to=["oncall@example.com"],
                 username="alerts", password="...")
    )

In YAML it is the sink ``use: smtp``. ``cesdk_smtp.testing`` runs a real SMTP server
(aiosmtpd) for tests.
"""

from cesdk_smtp._message import AllowList, message_id
from cesdk_smtp._replies import SmtpDeferredError, SmtpRejectedError
from cesdk_smtp._sink import SmtpSink

__all__ = ["AllowList", "SmtpDeferredError", "SmtpRejectedError", "SmtpSink", "message_id"]
