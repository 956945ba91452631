import asyncio

import cesdk
from cesdk_smtp import SmtpSink
from cesdk_smtp.testing import SmtpServer  # a real SMTP server (aiosmtpd) for tests


async def main() -> None:
    # A submission server on loopback: STARTTLS required, then AUTH, as on port 587.
    async with SmtpServer(tls="starttls", auth={"alerts": "s3cret"}) as server:
        sink = SmtpSink(
            server.host,
            server.port,
            tls="starttls",  # the default, except on port 465 ("implicit")
            ca_file=server.ca_file,  # the test server's private CA; omit for public CAs
            username="alerts",
            password="s3cret",  # in YAML: password: ${SMTP_PASSWORD}
            from_addr="Cluster alerts <alerts@example.com>",
            to=["oncall@example.com"],
            cc="lead@example.com",
        )
        event = cesdk.CloudEvent(
            type="io.k8s.event.warning",
            source="/k8s/prod",
            id="7f1c2a",
            subject="pod/web-1",
            data={
                "type": "Warning",
                "reason": "BackOff",
                "message": "Back-off restarting failed container web",
                "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "prod"},
                "count": 5,
            },
        )
        async with sink:
            await sink.send(event)  # returns once the server accepted the mail

        [mail] = await server.wait_for(1)
        print(mail.subject)
        print(mail.header("Message-ID"))
        assert mail.subject == "[Warning] BackOff: Pod/web-1 in prod"
        assert mail.tls
        assert mail.username == "alerts"
        assert [p.get_content_type() for p in mail.message.iter_parts()] == [
            "text/plain",
            "text/html",
        ]
        assert mail.header("X-CloudEvents-Id") == "7f1c2a"
        assert mail.rcpt_tos == ("oncall@example.com", "lead@example.com")


if __name__ == "__main__":
    asyncio.run(main())
