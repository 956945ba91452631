import asyncio

import cesdk
from cesdk.testing import CapturingSink, MemorySource
from cesdk_smtp import SmtpSink
from cesdk_smtp.testing import SmtpServer


def event(n: int) -> cesdk.CloudEvent:
    return cesdk.CloudEvent(type="com.example.alert", source="/monitoring", id=f"a{n}")


async def deliver(server: SmtpServer, to: list[str]) -> CapturingSink:
    dead = CapturingSink()
    sink = SmtpSink(server.host, server.port, tls="none", from_addr="alerts@example.com", to=to)
    retry = cesdk.Retry(max_attempts=5, initial_delay=0.05)
    await cesdk.Pipeline(
        MemorySource([event(1)]),
        routes=[cesdk.Route(sink, name="mail", retry=retry)],
        dead_letter=dead,
    ).run(handle_signals=False)
    return dead


async def main() -> None:
    # 4yz: retried. The server refuses DATA once, then accepts: one mail arrives.
    async with SmtpServer(data_replies=["451 4.3.0 Try again later"]) as server:
        dead = await deliver(server, ["oncall@example.com"])
        assert len(server.messages) == 1
        assert not dead.events
        # Both attempts carried the same Message-ID.
        assert server.refused[0].header("Message-ID") == server.messages[0].header("Message-ID")

    # 5yz: permanent. Dead-lettered at once, with the code and the server's text.
    async with SmtpServer(data_replies="554 5.7.1 Message rejected") as server:
        dead = await deliver(server, ["oncall@example.com"])
        print(dead.events[0]["deadletterreason"])
        assert "554 5.7.1 Message rejected" in dead.events[0]["deadletterreason"]

    # Per recipient: a accepts, b is busy once (451), c does not exist (550). The retry
    # goes to b alone; then the event is dead-lettered naming c and its code.
    replies = {"b@example.com": ["451 4.2.1 Mailbox busy"], "c@example.com": "550 5.1.1 Unknown"}
    async with SmtpServer(rcpt_replies=replies) as server:
        dead = await deliver(server, ["a@example.com", "b@example.com", "c@example.com"])
        assert [m.rcpt_tos for m in server.messages] == [("a@example.com",), ("b@example.com",)]
        print(dead.events[0]["deadletterreason"])
        assert "c@example.com (550 5.1.1 Unknown)" in dead.events[0]["deadletterreason"]


if __name__ == "__main__":
    asyncio.run(main())
