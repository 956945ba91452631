import asyncio

import cesdk
from cesdk_smtp import SmtpRejectedError, SmtpSink
from cesdk_smtp.testing import SmtpServer


def alert(owner: str) -> cesdk.CloudEvent:
    return cesdk.CloudEvent(
        type="com.example.alert", source="/monitoring", data={"owner": owner, "title": "Hi"}
    )


async def main() -> None:
    async with SmtpServer() as server:
        sink = SmtpSink(
            server.host,
            server.port,
            tls="none",
            from_addr="alerts@example.com",
            to_template="{{ data.owner }}",  # recipients chosen by the event...
            allowed_domains=["example.com", "*.example.org"],  # ...within these
            subject_template="{{ data.title }}",
        )
        async with sink:
            await sink.send(alert("team-a@example.com, b@ops.example.org"))
            for owner in ["someone@evil.example", "x@example.com\r\nBcc: y@evil.example"]:
                try:
                    await sink.send(alert(owner))
                except SmtpRejectedError as exc:  # permanent: the event is dead-lettered
                    print(exc)
                else:
                    raise AssertionError("sent to a recipient outside allowed_domains")
        [mail] = await server.wait_for(1)
        assert mail.rcpt_tos == ("team-a@example.com", "b@ops.example.org")


if __name__ == "__main__":
    asyncio.run(main())
