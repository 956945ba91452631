"""Server replies decide the outcome (RFC 5321 4.2.1: 4yz transient, 5yz permanent),
retried and dead-lettered by a real cesdk.Pipeline.
"""

from __future__ import annotations

import pytest

import cesdk
from cesdk.testing import CapturingSink, MemorySource, RedisServer
from cesdk_smtp import SmtpDeferredError, SmtpRejectedError
from cesdk_smtp.testing import SmtpServer
from smtp_helpers import k8s_event, plain_sink

FAST = cesdk.Retry(max_attempts=5, initial_delay=0.01, max_delay=0.05)


async def run(sink: cesdk.Sink, events: list[cesdk.CloudEvent]) -> CapturingSink:
    dead = CapturingSink()
    pipeline = cesdk.Pipeline(
        MemorySource(events),
        routes=[cesdk.Route(sink, name="mail", retry=FAST)],
        dead_letter=dead,
    )
    await pipeline.run(handle_signals=False)
    return dead


async def test_4xx_then_ok_is_retried_and_delivered_once() -> None:
    async with SmtpServer(
        data_replies=["451 4.3.0 Try again later", "421 4.7.0 Too busy"]
    ) as server:
        dead = await run(plain_sink(server), [k8s_event(1)])
        assert dead.events == []
        [mail] = await server.wait_for(1)
        assert len(server.refused) == 2  # two DATA refusals, then accepted
    assert mail.header("X-CloudEvents-Id") == "k8s-1"
    # Every attempt carried the same Message-ID, so a client deduplicates any repeat.
    ids = {m.header("Message-ID") for m in [*server.refused, mail]}
    assert len(ids) == 1


async def test_4xx_is_a_retryable_error_with_code_and_text() -> None:
    server = SmtpServer(data_replies="452 4.3.1 Insufficient system storage")
    async with server, plain_sink(server) as sink:
        with pytest.raises(SmtpDeferredError) as caught:
            await sink.send(k8s_event(2))
    error = caught.value
    assert isinstance(error, cesdk.RetryableDeliveryError)
    assert error.code == 452
    assert "452 4.3.1 Insufficient system storage" in str(error)
    assert "DATA" in str(error)


async def test_5xx_is_dead_lettered_with_code() -> None:
    async with SmtpServer(data_replies="554 5.7.1 Message rejected as spam") as server:
        dead = await run(plain_sink(server), [k8s_event(3)])
        assert server.messages == []
        assert len(server.refused) == 1  # permanent: not retried
    [letter] = dead.events
    assert letter.id == "k8s-3"
    assert letter["deadletterattempts"] == 1
    assert "554 5.7.1 Message rejected as spam" in letter["deadletterreason"]


async def test_sender_refused_for_good_and_for_now() -> None:
    server = SmtpServer(mail_replies="553 5.7.1 Sender address rejected")
    async with server, plain_sink(server, from_addr="nobody@example.com") as sink:
        with pytest.raises(SmtpRejectedError) as caught:
            await sink.send(k8s_event(4))
    assert caught.value.code == 553
    assert "MAIL FROM:<nobody@example.com>" in str(caught.value)
    assert "553 5.7.1 Sender address rejected" in str(caught.value)
    async with SmtpServer(mail_replies=["450 4.7.1 Greylisted, try later"]) as server:
        async with plain_sink(server) as sink:
            with pytest.raises(SmtpDeferredError, match=r"450 4\.7\.1 Greylisted"):
                await sink.send(k8s_event(4))
            await sink.send(k8s_event(4))  # the envelope was reset; this one passes
        await server.wait_for(1)


async def test_all_recipients_refused_permanently() -> None:
    async with SmtpServer(rcpt_replies={"oncall@example.com": "550 5.1.1 No such user"}) as server:
        async with plain_sink(server) as sink:
            with pytest.raises(SmtpRejectedError) as caught:
                await sink.send(k8s_event(5))
            # The envelope was reset: the same connection sends the next mail fine.
            server.rcpt_replies.clear()
            await sink.send(k8s_event(6))
        [mail] = await server.wait_for(1)
        assert server.connections == 1
    assert mail.header("X-CloudEvents-Id") == "k8s-6"
    assert caught.value.recipients == {"oncall@example.com": (550, "5.1.1 No such user")}
    assert "oncall@example.com (550 5.1.1 No such user)" in str(caught.value)


async def test_partial_refusal_retries_only_the_deferred_recipient() -> None:
    # a accepts; b is deferred once (451) then accepts; c is refused for good (550).
    replies = {"b@example.com": ["451 4.2.1 Mailbox busy"], "c@example.com": "550 5.1.1 Unknown"}
    async with SmtpServer(rcpt_replies=replies) as server:
        sink = plain_sink(server, to=["a@example.com", "b@example.com", "c@example.com"])
        dead = await run(sink, [k8s_event(7)])
        mails = await server.wait_for(2)
    # First attempt: to a only (b deferred, c refused). Second: b only. Then c alone is
    # left, refused for good: the event is dead-lettered naming it and its code.
    assert [m.rcpt_tos for m in mails] == [("a@example.com",), ("b@example.com",)]
    # Both copies are the same mail: same Message-ID, all three named in To.
    assert mails[0].header("Message-ID") == mails[1].header("Message-ID")
    assert mails[1].header("To") == "a@example.com, b@example.com, c@example.com"
    [letter] = dead.events
    reason = letter["deadletterreason"]
    assert "c@example.com (550 5.1.1 Unknown)" in reason
    assert "a@example.com" not in reason.split("refused by")[1].split(";")[0]


async def test_accepted_recipients_are_remembered_across_sends() -> None:
    replies = {"b@example.com": "451 4.2.1 Mailbox busy"}
    async with SmtpServer(rcpt_replies=replies) as server:
        sink = plain_sink(server, to=["a@example.com", "b@example.com"])
        async with sink:
            for _ in range(3):
                with pytest.raises(SmtpDeferredError) as caught:
                    await sink.send(k8s_event(8))
            assert caught.value.delivered == ("a@example.com",)  # on the first try
            assert "b@example.com (451 4.2.1 Mailbox busy)" in str(caught.value)
            server.rcpt_replies.clear()
            await sink.send(k8s_event(8))
            await sink.send(k8s_event(8))  # everyone has it: nothing to do
        mails = await server.wait_for(2)
    assert [m.rcpt_tos for m in mails] == [("a@example.com",), ("b@example.com",)]
    assert len(server.messages) == 2


async def test_a_shared_state_store_keeps_progress_across_sinks() -> None:
    store = cesdk.MemoryDedupStore()
    async with SmtpServer(rcpt_replies={"b@example.com": ["451 4.2.1 busy"]}) as server:
        first = plain_sink(server, to=["a@example.com", "b@example.com"], state_store=store)
        async with first:
            with pytest.raises(SmtpDeferredError):
                await first.send(k8s_event(9))
        # A restarted process with the same store (Redis in production) resumes.
        second = plain_sink(server, to=["a@example.com", "b@example.com"], state_store=store)
        async with second:
            await second.send(k8s_event(9))
        mails = await server.wait_for(2)
    assert [m.rcpt_tos for m in mails] == [("a@example.com",), ("b@example.com",)]


async def test_progress_in_redis_survives_a_restart(redis_server: RedisServer) -> None:
    # A process mails a (b is busy), then dies; its successor, on the same Redis, mails
    # only b.
    url = redis_server.url
    async with SmtpServer(rcpt_replies={"b@example.com": ["451 4.2.1 busy"]}) as server:
        first = plain_sink(server, to=["a@example.com", "b@example.com"], state_store=url)
        async with first:
            with pytest.raises(SmtpDeferredError):
                await first.send(k8s_event(10))
        second = plain_sink(server, to=["a@example.com", "b@example.com"], state_store=url)
        async with second:
            await second.send(k8s_event(10))
        mails = await server.wait_for(2)
    assert [m.rcpt_tos for m in mails] == [("a@example.com",), ("b@example.com",)]
