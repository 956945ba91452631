"""The mail as received: MIME parts, headers, encodings, Message-ID, allow-list, injection.

RFC 5322 (headers, Message-ID 3.6.4), RFC 2046 5.1.4 (multipart/alternative: plain text
first, the richest last), RFC 2047 (non-ASCII header text as encoded words), RFC 3834
(Auto-Submitted).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cesdk
from cesdk import templates
from cesdk_smtp import SmtpRejectedError, SmtpSink, message_id
from cesdk_smtp.testing import SmtpServer
from smtp_helpers import k8s_event, plain_sink


@pytest.fixture
async def server() -> SmtpServer:
    async with SmtpServer() as running:
        yield running  # type: ignore[misc]  # an async generator fixture


async def test_multipart_alternative_with_text_then_html(server: SmtpServer) -> None:
    async with plain_sink(server) as sink:
        await sink.send(k8s_event(1))
    [mail] = await server.wait_for(1)
    msg = mail.message
    assert msg.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]  # RFC 2046 5.1.4: preferred last
    for part in msg.iter_parts():
        assert part.get_content_charset() == "utf-8"
    # The default templates format the Kubernetes Event.
    assert mail.subject == "[Warning] BackOff: Pod/web-1 in prod"
    assert "Back-off restarting failed container web (attempt 1)" in mail.text
    assert "Back-off restarting failed container web (attempt 1)" in mail.html
    assert "<table" in mail.html


async def test_headers(server: SmtpServer) -> None:
    sink = plain_sink(
        server,
        from_addr="Cluster Alerts <alerts@example.com>",
        to=["Jörg Müller <joerg@example.com>", "ops@example.com"],
        cc="lead@example.com",
        bcc=["audit@example.com"],
        reply_to="noreply@example.com",
    )
    async with sink:
        await sink.send(k8s_event(2))
    [mail] = await server.wait_for(1)
    assert mail.header("From") == "Cluster Alerts <alerts@example.com>"
    assert mail.header("To") == "Jörg Müller <joerg@example.com>, ops@example.com"
    assert mail.header("Cc") == "lead@example.com"
    assert mail.header("Reply-To") == "noreply@example.com"
    # Bcc recipients get the mail but are not named in it.
    assert mail.header("Bcc") is None
    assert b"audit@" not in mail.raw
    assert mail.rcpt_tos == (
        "joerg@example.com",
        "ops@example.com",
        "lead@example.com",
        "audit@example.com",
    )
    assert mail.mail_from == "alerts@example.com"
    assert mail.header("Auto-Submitted") == "auto-generated"
    assert mail.header("X-CloudEvents-Id") == "k8s-2"
    assert mail.header("X-CloudEvents-Source") == "/k8s/prod"
    assert mail.header("X-CloudEvents-Type") == "io.k8s.event.warning"
    assert mail.message["Date"].datetime is not None
    assert mail.header("MIME-Version") == "1.0"


async def test_non_ascii_subject_and_body_are_encoded(server: SmtpServer) -> None:
    event = cesdk.CloudEvent(
        type="dev.example.alert",
        source="/apps/unicode",
        id="u-1",
        subject="Größe überschritten ☁",
        data={"text": "héllo wörld ☁ 日本語"},
    )
    sink = plain_sink(
        server,
        subject_template="Alarm: {{ subject }}",
        text_template="{{ data.text }}",
        html_template="<p>{{ data.text }}</p>",
    )
    async with sink:
        await sink.send(event)
    [mail] = await server.wait_for(1)
    # On the wire: 7-bit only; the subject as RFC 2047 encoded words, bodies in a
    # transfer encoding of UTF-8.
    assert mail.raw.isascii()
    raw_subject = re.search(rb"^Subject: (.*(?:\r\n[ \t].*)*)", mail.raw, re.M)
    assert raw_subject is not None
    assert b"=?utf-8?" in raw_subject.group(1)
    for part in mail.message.iter_parts():
        assert part["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    # Decoded: exactly what was rendered.
    assert mail.subject == "Alarm: Größe überschritten ☁"
    assert mail.text.strip() == "héllo wörld ☁ 日本語"
    assert mail.html.strip() == "<p>héllo wörld ☁ 日本語</p>"
    assert mail.header("X-CloudEvents-Source") == "/apps/unicode"


async def test_message_id_is_derived_from_the_event(server: SmtpServer) -> None:
    event = k8s_event(3)
    async with plain_sink(server) as sink:
        await sink.send(event)
        await sink.send(event)  # a retry or a redelivery of the same event
        await sink.send(k8s_event(4))
        await sink.send(event.replace(source="/k8s/staging"))  # same id, other source
    mails = await server.wait_for(4)
    ids = [mail.header("Message-ID") for mail in mails]
    assert ids[0] == ids[1] == message_id([event], "example.com")
    assert len({ids[0], ids[2], ids[3]}) == 3
    assert re.fullmatch(r"<cesdk\.[a-z2-7]{32}@example\.com>", ids[0] or "")


async def test_html_values_are_escaped_and_text_is_not(server: SmtpServer) -> None:
    event = k8s_event(5, data={"message": "<script>alert(1)</script> & more"})
    sink = plain_sink(
        server,
        subject_template="{{ data.message | truncate(20) }}",
        text_template="{{ data.message }}",
        html_template="<p>{{ data.message }}</p>",
    )
    async with sink:
        await sink.send(event)
    [mail] = await server.wait_for(1)
    assert mail.html.strip() == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>"
    assert mail.text.strip() == "<script>alert(1)</script> & more"


async def test_templates_from_callables_and_files(server: SmtpServer, tmp_path: Path) -> None:
    (tmp_path / "body.txt.j2").write_text("Reason: {{ data.reason }}\n", encoding="utf-8")
    sink = plain_sink(
        server,
        subject_template=lambda event: f"callable {event.id}",
        text_template=f"file:{tmp_path / 'body.txt.j2'}",
        html_template=False,
    )
    async with sink:
        await sink.send(k8s_event(6))
    [mail] = await server.wait_for(1)
    assert mail.subject == "callable k8s-6"
    # html_template=False: one text/plain part, no multipart.
    assert mail.message.get_content_type() == "text/plain"
    assert mail.text.strip() == "Reason: BackOff"


async def test_a_failing_template_is_permanent_and_named(server: SmtpServer) -> None:
    sink = plain_sink(server, subject_template="{{ data.missing.deeper }}")
    async with sink:
        with pytest.raises(templates.TemplateError) as caught:
            await sink.send(k8s_event(7))
    assert isinstance(caught.value, cesdk.PermanentDeliveryError)
    assert caught.value.template == "subject_template"
    assert caught.value.event_id == "k8s-7"
    assert server.messages == []


def test_a_template_that_does_not_compile_fails_at_construction() -> None:
    with pytest.raises(cesdk.ConfigError, match="text_template"):
        SmtpSink(
            "127.0.0.1",
            25,
            tls="none",
            from_addr="a@example.com",
            to="b@example.com",
            text_template="{% if %}",
        )


@pytest.mark.parametrize(
    "injected",
    [
        "BackOff\r\nBcc: victim@evil.example",
        "BackOff\nX-Injected: yes",
        "BackOff\rsneaky",
        "BackOff\u2028line separator",
        "BackOff\x00nul",
    ],
)
async def test_header_injection_in_the_subject_is_refused(
    server: SmtpServer, injected: str
) -> None:
    sink = plain_sink(server, subject_template="Alert: {{ data.reason }}")
    async with sink:
        with pytest.raises(SmtpRejectedError) as caught:
            await sink.send(k8s_event(8, data={"reason": injected}))
    message = str(caught.value)
    assert "rendered subject" in message
    assert "control character" in message
    assert "'k8s-8'" in message
    assert server.messages == []
    assert server.connections == 0


@pytest.mark.parametrize(
    "owner",
    ["ops@example.com\r\nBcc: victim@evil.example", "ops@example.com\nvictim@evil.example"],
)
async def test_header_injection_in_recipients_is_refused(server: SmtpServer, owner: str) -> None:
    sink = plain_sink(server, to_template="{{ data.owner }}", allowed_domains=["example.com"])
    async with sink:
        with pytest.raises(SmtpRejectedError, match=r"rendered recipient .* control character"):
            await sink.send(k8s_event(9, data={"owner": owner}))
    assert server.messages == []


async def test_allowed_domains_restrict_rendered_recipients(server: SmtpServer) -> None:
    sink = plain_sink(
        server,
        to_template="{{ data.owner }}",
        allowed_domains=["example.com", "*.example.org", "boss@partner.example"],
    )
    allowed = [
        "a@example.com",
        "b@team.example.org",
        "Boss <BOSS@partner.example>",
        "c@Example.COM, d@x.example.org",
    ]
    refused = [
        "x@evil.example",
        "y@example.org",
        "intern@partner.example",
        "a@example.com, z@example.com.evil.example",
    ]
    async with sink:
        for n, owner in enumerate(allowed):
            await sink.send(k8s_event(n, data={"owner": owner}))
        for n, owner in enumerate(refused, start=100):
            with pytest.raises(SmtpRejectedError) as caught:
                await sink.send(k8s_event(n, data={"owner": owner}))
            bad = owner.split(", ")[-1].lower()
            assert f"recipient {bad} " in str(caught.value)
            assert "not allowed" in str(caught.value)
    mails = await server.wait_for(len(allowed))
    assert [m.rcpt_tos for m in mails] == [
        ("a@example.com",),
        ("b@team.example.org",),
        ("boss@partner.example",),
        ("c@example.com", "d@x.example.org"),
    ]
    assert len(server.messages) == len(allowed)


async def test_rendered_text_that_is_not_an_address_is_refused(server: SmtpServer) -> None:
    sink = plain_sink(server, to_template="{{ data.owner }}", allowed_domains=["example.com"])
    async with sink:
        for owner in ["nobody", "a@b@example.com", "<>", "sp ace@example.com", ""]:
            with pytest.raises(SmtpRejectedError, match=r"recipient|usable email address"):
                await sink.send(k8s_event(1, data={"owner": owner}))
    assert server.messages == []


def test_configured_recipients_must_be_allowed_too() -> None:
    with pytest.raises(ValueError, match=r"other@elsewhere\.example is not in allowed_domains"):
        SmtpSink(
            "127.0.0.1",
            25,
            tls="none",
            from_addr="a@example.com",
            to=["ok@example.com", "other@elsewhere.example"],
            allowed_domains=["example.com"],
        )
    with pytest.raises(ValueError, match="needs recipients"):
        SmtpSink("127.0.0.1", 25, tls="none", from_addr="a@example.com")
    with pytest.raises(SmtpRejectedError, match="from_addr"):
        SmtpSink("127.0.0.1", 25, tls="none", from_addr="alerts\r\n@example.com", to="a@x.example")
