"""Digest mode: one mail per N events or T seconds per recipient set, at least once.

Each send returns only once the digest carrying its event was accepted, so a pipeline
acks no event before its mail is out.
"""

from __future__ import annotations

import asyncio
import re

import pytest

import cesdk
from cesdk.testing import CapturingSink, MemorySource, until
from cesdk_smtp import SmtpRejectedError, SmtpSink
from cesdk_smtp.testing import ReceivedMessage, SmtpServer
from smtp_helpers import k8s_event, plain_sink

FAST = cesdk.Retry(max_attempts=5, initial_delay=0.01, max_delay=0.05)


def waiting(sink: SmtpSink) -> int:
    """Events waiting in the sink's digests."""
    assert sink._digest is not None
    return len(sink._digest)


def pods(mail: ReceivedMessage) -> list[str]:
    """The pods a digest's text lists, in order."""
    return re.findall(r"^\d+\. \[Warning\] BackOff: Pod/(web-\d+) in prod$", mail.text, re.M)


async def test_digest_by_count() -> None:
    async with SmtpServer() as server:
        dead = CapturingSink()
        await cesdk.Pipeline(
            MemorySource([k8s_event(n) for n in range(10)]),
            routes=[cesdk.Route(plain_sink(server, digest_size=5, digest_interval=60))],
            dead_letter=dead,
            concurrency=16,  # at least digest_size, or digests fill by time only
        ).run(handle_signals=False)
        mails = await server.wait_for(2)
    assert len(server.messages) == 2
    assert dead.events == []
    assert [len(pods(m)) for m in mails] == [5, 5]
    assert sorted(p for m in mails for p in pods(m)) == sorted(f"web-{n}" for n in range(10))
    for mail in mails:
        assert mail.header("X-CloudEvents-Count") == "5"
        assert mail.subject.startswith("[5 events] [Warning] BackOff: Pod/web-")
        assert mail.subject.endswith(" and 4 more")
        assert mail.html.count('<tr style="vertical-align: top;') == 5
        assert "Back-off restarting failed container web" in mail.html
    assert mails[0].header("Message-ID") != mails[1].header("Message-ID")


async def test_digest_by_time_returns_only_after_the_mail_was_accepted() -> None:
    async with SmtpServer() as server:
        seen_at_return: list[int] = []

        async def send(sink: cesdk.Sink, event: cesdk.CloudEvent) -> None:
            await sink.send(event)
            seen_at_return.append(len(server.messages))

        async with plain_sink(server, digest_size=100, digest_interval=0.3) as sink:
            tasks = [asyncio.create_task(send(sink, k8s_event(n))) for n in range(3)]
            [mail] = await server.wait_for(1, timeout=10)
            await asyncio.gather(*tasks)
    # No send returned before the digest was at the server.
    assert seen_at_return == [1, 1, 1]
    assert sorted(pods(mail)) == ["web-0", "web-1", "web-2"]
    assert mail.text.startswith("3 events")


async def test_one_digest_per_recipient_set() -> None:
    async with SmtpServer() as server:
        sink = plain_sink(
            server,
            to_template="{{ data.owner }}",
            allowed_domains=["example.com"],
            digest_size=2,
            digest_interval=60,
        )
        owners = ["a@example.com", "b@example.com", "a@example.com", "b@example.com"]
        async with sink:
            await asyncio.gather(
                *(
                    sink.send(k8s_event(n, data={"owner": o, "message": f"m{n}"}))
                    for n, o in enumerate(owners)
                )
            )
        mails = await server.wait_for(2)
    by_rcpt = {m.rcpt_tos: m for m in mails}
    assert set(by_rcpt) == {("a@example.com",), ("b@example.com",)}
    assert re.findall(r"^   (m\d)$", by_rcpt[("a@example.com",)].text, re.M) == ["m0", "m2"]
    assert re.findall(r"^   (m\d)$", by_rcpt[("b@example.com",)].text, re.M) == ["m1", "m3"]


async def test_a_refused_digest_dead_letters_every_event_in_it() -> None:
    async with SmtpServer(data_replies="554 5.6.0 Message content rejected") as server:
        dead = CapturingSink()
        await cesdk.Pipeline(
            MemorySource([k8s_event(n) for n in range(3)]),
            routes=[cesdk.Route(plain_sink(server, digest_size=3, digest_interval=60), retry=FAST)],
            dead_letter=dead,
        ).run(handle_signals=False)
        assert server.messages == []
    assert sorted(ev.id for ev in dead.events) == ["k8s-0", "k8s-1", "k8s-2"]
    for letter in dead.events:
        assert "digest of 3 events" in letter["deadletterreason"]
        assert "554 5.6.0 Message content rejected" in letter["deadletterreason"]


async def test_a_deferred_digest_is_retried_and_nothing_is_lost() -> None:
    async with SmtpServer(data_replies=["451 4.3.0 Try later"]) as server:
        dead = CapturingSink()
        await cesdk.Pipeline(
            MemorySource([k8s_event(n) for n in range(4)]),
            routes=[
                cesdk.Route(plain_sink(server, digest_size=4, digest_interval=0.2), retry=FAST)
            ],
            dead_letter=dead,
        ).run(handle_signals=False)
        mails = await server.wait_for(1)
    assert dead.events == []
    assert sorted(p for m in mails for p in pods(m)) == [f"web-{n}" for n in range(4)]


async def test_closing_the_sink_sends_what_waits() -> None:
    async with SmtpServer() as server:
        sink = plain_sink(server, digest_size=100, digest_interval=3600)
        async with sink:
            task = asyncio.create_task(sink.send(k8s_event(1)))
            await until(lambda: waiting(sink) == 1, timeout=5, what="the event in a digest")
            assert server.messages == []
        await task
        [mail] = await server.wait_for(1)
    assert pods(mail) == ["web-1"]
    assert mail.subject == "[Warning] BackOff: Pod/web-1 in prod"  # a digest of one


async def test_generic_events_in_a_digest() -> None:
    events = [
        cesdk.CloudEvent(
            type="com.example.order.failed",
            source="/shop",
            id=f"o{n}",
            subject=f"order/{n}",
            time=f"2024-05-01T12:0{n}:00Z",
            data={"order": n, "reason": "card declined"},
        )
        for n in range(2)
    ]
    async with SmtpServer() as server:
        async with plain_sink(server, digest_size=2) as sink:
            await asyncio.gather(*(sink.send(ev) for ev in events))
        [mail] = await server.wait_for(1)
    assert "2 events from 2024-05-01 12:00:00 UTC to 2024-05-01 12:01:00 UTC" in mail.text
    assert "com.example.order.failed | order/1 | 2024-05-01 12:01:00 UTC" in mail.text
    assert '{"order": 0, "reason": "card declined"}' in mail.text
    assert "&#34;order&#34;: 0" in mail.html or "&quot;order&quot;: 0" in mail.html


async def test_digest_templates_can_be_replaced() -> None:
    async with SmtpServer() as server:
        sink = plain_sink(
            server,
            digest_size=2,
            digest_subject_template="{{ count }} alerts for {{ recipients | join(', ') }}",
            digest_text_template="{% for item in items %}{{ item.id }};{% endfor %}",
            digest_html_template=False,
        )
        async with sink:
            await asyncio.gather(sink.send(k8s_event(1)), sink.send(k8s_event(2)))
        [mail] = await server.wait_for(1)
    assert mail.subject == "2 alerts for oncall@example.com"
    assert sorted(mail.text.strip().strip(";").split(";")) == ["k8s-1", "k8s-2"]
    assert mail.message.get_content_type() == "text/plain"


async def test_summaries_from_the_core_digest_step_render_as_digests() -> None:
    # cesdk.digest() turns held events into one dev.cesdk.digest event; the sink (not in
    # digest mode itself) lays it out with the digest templates.
    async with SmtpServer() as server:
        dead = CapturingSink()
        await cesdk.Pipeline(
            MemorySource([k8s_event(n, subject="pod/web") for n in range(3)]),
            steps=[cesdk.digest(60, key="subject", max=3)],
            routes=[cesdk.Route(plain_sink(server))],
            dead_letter=dead,
        ).run(handle_signals=False)
        [mail] = await server.wait_for(1)
    assert dead.events == []
    assert sorted(pods(mail)) == ["web-0", "web-1", "web-2"]
    assert mail.header("X-CloudEvents-Count") == "3"


def test_digest_options_are_checked() -> None:
    for bad in ({"digest_size": 0}, {"digest_interval": 0}):
        with pytest.raises(ValueError, match="digest_size must be >= 1 and digest_interval > 0"):
            SmtpSink(
                "127.0.0.1", 25, tls="none", from_addr="a@example.com", to="b@example.com", **bad
            )  # type: ignore[arg-type]


async def test_digest_recipients_outside_the_allow_list_are_refused_per_event() -> None:
    async with SmtpServer() as server:
        sink = plain_sink(
            server,
            to_template="{{ data.owner }}",
            allowed_domains=["example.com"],
            digest_size=2,
            digest_interval=0.2,
        )
        async with sink:
            with pytest.raises(SmtpRejectedError, match=r"x@evil\.example"):
                await sink.send(k8s_event(1, data={"owner": "x@evil.example"}))
            await sink.send(k8s_event(2, data={"owner": "ok@example.com"}))
        [mail] = await server.wait_for(1)
    assert mail.rcpt_tos == ("ok@example.com",)


async def test_a_cancelled_send_leaves_its_digest() -> None:
    # A send timeout (or a shutdown) cancels the send: the pipeline redelivers the event,
    # so it must not go out in the digest as well.
    async with SmtpServer() as server:
        async with plain_sink(server, digest_size=100, digest_interval=3600) as sink:
            gives_up = asyncio.create_task(sink.send(k8s_event(1)))
            stays = asyncio.create_task(sink.send(k8s_event(2)))
            await until(lambda: waiting(sink) == 2, timeout=5, what="both in the digest")
            gives_up.cancel()
            with pytest.raises(asyncio.CancelledError):
                await gives_up
        await stays
        [mail] = await server.wait_for(1)
    assert pods(mail) == ["web-2"]


async def test_a_send_timeout_in_a_pipeline_retries_into_a_later_digest() -> None:
    async with SmtpServer() as server:
        dead = CapturingSink()
        retry = cesdk.Retry(max_attempts=3, initial_delay=0.01, timeout=0.2)
        await cesdk.Pipeline(
            MemorySource([k8s_event(1)]),
            # A digest waits longer than a send may take: every try times out.
            routes=[
                cesdk.Route(plain_sink(server, digest_size=10, digest_interval=30), retry=retry)
            ],
            dead_letter=dead,
        ).run(handle_signals=False)
        assert server.messages == []  # nothing mailed behind the pipeline's back
    [letter] = dead.events
    assert "timed out" in letter["deadletterreason"]
