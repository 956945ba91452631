"""Test kit for SMTP: a real server (aiosmtpd) with STARTTLS, implicit TLS and AUTH.

::

    from cesdk_smtp.testing import SmtpServer

    async with SmtpServer(tls="starttls", auth={"alerts": "s3cret"}) as server:
        sink = SmtpSink(server.host, server.port, ca_file=server.ca_file,
                        username="alerts", password="s3cret",
                        from_addr="alerts@example.com", to=["oncall@example.com"])
        ...
        [mail] = await server.wait_for(1)
        assert mail.subject == "..."

It needs the test dependencies ``aiosmtpd`` and ``trustme``.
"""

from cesdk_smtp.testing._server import ReceivedMessage, Replies, SmtpServer

__all__ = ["ReceivedMessage", "Replies", "SmtpServer"]
