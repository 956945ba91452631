import asyncio
from pathlib import Path

import cesdk
from cesdk.testing import CapturingSink, MemorySource
from cesdk_smtp.testing import SmtpServer

PIPELINE = Path(__file__).parent / "smtp_digest_pipeline.yaml"  # = examples/email_digest.yaml


def warning(n: int, **extensions: str) -> cesdk.CloudEvent:
    return cesdk.CloudEvent(
        type="io.k8s.event.warning",
        source="/k8s/prod",
        id=f"w{n}",
        extensions=extensions,
        data={
            "type": "Warning",
            "reason": "BackOff",
            "message": f"Back-off restarting failed container (pod web-{n})",
            "involvedObject": {"kind": "Pod", "name": f"web-{n}", "namespace": "prod"},
        },
    )


async def main() -> None:
    async with SmtpServer(auth={"alerts": "s3cret"}) as server:
        environ = {
            "SMTP_HOST": server.host,
            "SMTP_PORT": str(server.port),
            "SMTP_TLS": "none",  # this loopback relay speaks plain SMTP
            "SMTP_PASSWORD": "s3cret",
            "DIGEST_INTERVAL": "0.3",
        }
        events = [warning(1), warning(2), warning(3, team="payments")]
        # The file's HTTP source is replaced by a list of events for this run.
        pipeline = cesdk.load_pipeline(PIPELINE, environ=environ, source=MemorySource(events))
        pipeline.dead_letter = CapturingSink()
        await pipeline.run(handle_signals=False)
        mails = await server.wait_for(2)
        assert sorted(m.rcpt_tos[0] for m in mails) == [
            "payments-oncall@example.com",
            "platform-oncall@example.com",
        ]
        for mail in mails:
            print(mail.rcpt_tos[0], "|", mail.subject)


if __name__ == "__main__":
    asyncio.run(main())
