"""TLS modes, certificate checks and AUTH against a real aiosmtpd server.

RFC 3207 (STARTTLS), RFC 8314 (implicit TLS for submission, port 465), RFC 4954 (AUTH:
535 means the credentials were rejected).
"""

from __future__ import annotations

import logging
import ssl

import pytest
import trustme

import cesdk
from cesdk_smtp import SmtpDeferredError, SmtpRejectedError, SmtpSink
from cesdk_smtp.testing import SmtpServer
from smtp_helpers import SENDER, k8s_event

PASSWORD = "pa55-w0rd-never-shown"


def tls_sink(server: SmtpServer, **options: object) -> SmtpSink:
    settings: dict[str, object] = {
        "tls": server.tls,
        "ca_file": server.ca_file,
        "from_addr": SENDER,
        "to": ["oncall@example.com"],
        "timeout": 5,
    }
    settings.update(options)
    return SmtpSink(server.host, server.port, **settings)  # type: ignore[arg-type]


async def test_starttls_with_auth_delivers_encrypted_and_logged_in() -> None:
    async with SmtpServer(tls="starttls", auth={"alerts": PASSWORD}) as server:
        async with tls_sink(server, username="alerts", password=PASSWORD) as sink:
            await sink.send(k8s_event(1))
        [mail] = await server.wait_for(1)
    assert mail.tls is True
    assert mail.username == "alerts"
    assert mail.header("X-CloudEvents-Id") == "k8s-1"


async def test_bad_password_is_permanent_and_never_shown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with SmtpServer(tls="starttls", auth={"alerts": "the-right-one"}) as server:
        sink = tls_sink(server, username="alerts", password=PASSWORD)
        async with sink:
            with pytest.raises(SmtpRejectedError) as caught:
                await sink.send(k8s_event(1))
        assert server.messages == []
    error = caught.value
    assert isinstance(error, cesdk.PermanentDeliveryError)
    assert "authentication failed" in str(error)
    assert "'alerts'" in str(error)
    assert error.code == 535
    for text in (str(error), repr(error), repr(sink), caplog.text, str(error.__cause__)):
        assert PASSWORD not in text


async def test_bad_password_dead_letters_through_a_pipeline() -> None:
    async with SmtpServer(tls="starttls", auth={"alerts": "the-right-one"}) as server:
        dead = cesdk.testing.CapturingSink()
        pipeline = cesdk.Pipeline(
            cesdk.testing.MemorySource([k8s_event(1)]),
            routes=[
                cesdk.Route(
                    tls_sink(server, username="alerts", password=PASSWORD),
                    name="mail",
                    retry=cesdk.Retry(max_attempts=5, initial_delay=0.01),
                )
            ],
            dead_letter=dead,
        )
        await pipeline.run(handle_signals=False)
    [letter] = dead.events
    assert "authentication failed" in letter["deadletterreason"]
    assert letter["deadletterattempts"] == 1  # permanent: not retried
    assert PASSWORD not in letter["deadletterreason"]


async def test_implicit_tls() -> None:
    async with SmtpServer(tls="implicit", auth={"alerts": PASSWORD}) as server:
        async with tls_sink(server, username="alerts", password=PASSWORD) as sink:
            assert sink.tls == "implicit"
            await sink.send(k8s_event(2))
        [mail] = await server.wait_for(1)
    assert mail.tls is True
    assert mail.username == "alerts"


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
async def test_untrusted_certificate_is_a_clear_permanent_error(mode: str) -> None:
    # The server's certificate is signed by a CA the client does not know.
    async with SmtpServer(tls=mode, certificate_authority=trustme.CA()) as server:  # type: ignore[arg-type]
        async with tls_sink(server, ca_file=None) as sink:
            with pytest.raises(SmtpRejectedError) as caught:
                await sink.send(k8s_event(3))
        assert server.messages == []
    message = str(caught.value)
    assert "certificate verification failed" in message
    assert f"127.0.0.1:{server.port}" in message
    assert "ca_file" in message


async def test_verify_false_accepts_an_untrusted_certificate() -> None:
    async with SmtpServer(tls="starttls") as server:
        async with tls_sink(server, ca_file=None, verify=False) as sink:
            await sink.send(k8s_event(4))
        [mail] = await server.wait_for(1)
    assert mail.tls is True


async def test_a_certificate_for_another_host_name_fails() -> None:
    # Signed by the trusted CA, but for another name than the one connected to.
    async with SmtpServer(tls="implicit", certificate_names=["mail.example.com"]) as server:
        async with tls_sink(server) as sink:
            with pytest.raises(
                SmtpRejectedError, match="certificate verification failed"
            ) as caught:
                await sink.send(k8s_event(5))
        assert server.messages == []
    assert "127.0.0.1" in str(caught.value)


async def test_tls_context_given_directly() -> None:
    async with SmtpServer(tls="implicit") as server:
        context = ssl.create_default_context(cafile=server.ca_file)
        sink = SmtpSink(
            server.host,
            server.port,
            tls="implicit",
            tls_context=context,
            from_addr=SENDER,
            to=["oncall@example.com"],
            timeout=5,
        )
        async with sink:
            await sink.send(k8s_event(5))
        [mail] = await server.wait_for(1)
    assert mail.tls is True


async def test_starttls_required_but_not_offered() -> None:
    async with SmtpServer(tls="none") as server:
        async with tls_sink(server, tls="starttls") as sink:
            with pytest.raises(SmtpRejectedError, match="does not offer STARTTLS"):
                await sink.send(k8s_event(6))
        assert server.messages == []


async def test_connection_refused_is_retryable() -> None:
    from cesdk.testing import free_port

    sink = SmtpSink(
        "127.0.0.1", free_port(), tls="none", from_addr=SENDER, to=["oncall@example.com"], timeout=2
    )
    async with sink:
        with pytest.raises(SmtpDeferredError, match=r"cannot reach 127\.0\.0\.1"):
            await sink.send(k8s_event(7))


def test_password_is_not_sent_unencrypted_to_a_remote_host() -> None:
    with pytest.raises(ValueError, match="unencrypted"):
        SmtpSink(
            "smtp.example.com",
            25,
            tls="none",
            username="u",
            password=PASSWORD,
            from_addr=SENDER,
            to=["a@example.com"],
        )
    # A loopback relay may take AUTH without TLS.
    SmtpSink(
        "127.0.0.1",
        25,
        tls="none",
        username="u",
        password=PASSWORD,
        from_addr=SENDER,
        to=["a@example.com"],
    )


def test_tls_mode_and_port_defaults() -> None:
    def sink(**kw: object) -> SmtpSink:
        return SmtpSink("smtp.example.com", from_addr=SENDER, to=["a@example.com"], **kw)  # type: ignore[arg-type]

    assert (sink().tls, sink().port) == ("starttls", 587)
    assert (sink(port=465).tls, sink(port=465).port) == ("implicit", 465)
    assert (sink(port=2525).tls, sink(port=2525).port) == ("starttls", 2525)
    assert (sink(tls="implicit").port, sink(tls="none").port) == (465, 25)
    with pytest.raises(ValueError, match="tls must be one of"):
        sink(tls="ssl")
    with pytest.raises(ValueError, match="ca_file"):
        sink(ca_file="/nonexistent/ca.pem")
    assert PASSWORD not in repr(sink(username="u", password=PASSWORD))
