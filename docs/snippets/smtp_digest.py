import asyncio

import cesdk
from cesdk.testing import CapturingSink, MemorySource
from cesdk_smtp import SmtpSink
from cesdk_smtp.testing import SmtpServer


def warning(n: int, team: str) -> cesdk.CloudEvent:
    return cesdk.CloudEvent(
        type="io.k8s.event.warning",
        source="/k8s/prod",
        id=f"w{n}",
        subject=f"pod/web-{n}",
        extensions={"team": team},
        data={
            "type": "Warning",
            "reason": "BackOff",
            "message": f"Back-off restarting failed container (pod web-{n})",
            "involvedObject": {"kind": "Pod", "name": f"web-{n}", "namespace": "prod"},
        },
    )


async def main() -> None:
    async with SmtpServer() as server:
        sink = SmtpSink(
            server.host,
            server.port,
            tls="none",
            from_addr="alerts@example.com",
            to_template="{{ team }}-oncall@example.com",
            allowed_domains=["example.com"],
            digest_size=3,  # one mail per 3 events per recipient set...
            digest_interval=0.5,  # ...or after 0.5 s (in production: minutes)
        )
        events = [warning(n, "payments" if n % 4 == 3 else "platform") for n in range(8)]
        dead = CapturingSink()
        await cesdk.Pipeline(
            MemorySource(events),
            routes=[cesdk.Route(sink)],
            dead_letter=dead,
            concurrency=50,  # bounds the events waiting for digests
        ).run(handle_signals=False)  # each event is acked once its digest was accepted

        mails = await server.wait_for(3)
        for mail in mails:
            print(mail.rcpt_tos[0], "|", mail.subject)
        print(mails[0].text)
        platform = [m for m in mails if m.rcpt_tos == ("platform-oncall@example.com",)]
        assert sorted(m.header("X-CloudEvents-Count") for m in platform) == ["3", "3"]
        assert len(server.messages) == 3
        assert not dead.events


if __name__ == "__main__":
    asyncio.run(main())
