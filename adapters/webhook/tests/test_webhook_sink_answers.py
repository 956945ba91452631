"""What the receiver's answer means (http-webhook.md 2.2): delivered, retry, or give up."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

import cesdk
from cesdk.testing import free_port
from cesdk_webhook import WebhookSink
from webhook_receiver import Answer, receiver, sample


@pytest.mark.parametrize("status", [200, 201, 202, 204])
async def test_2xx_is_delivered(status: int) -> None:
    async with receiver() as recv:
        recv.default = Answer(status, body=b"{}" if status != 204 else b"")
        async with WebhookSink(recv.url) as sink:
            await sink.send(sample())
    assert len(recv.requests) == 1


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_retryable_statuses_carry_retry_after_seconds(status: int) -> None:
    async with receiver() as recv:
        recv.default = Answer(status, {"Retry-After": "7"}, b"busy")
        async with WebhookSink(recv.url) as sink:
            with pytest.raises(cesdk.RetryableDeliveryError) as caught:
                await sink.send(sample())
    assert caught.value.retry_after == 7.0
    assert f"answered {status}" in str(caught.value)


async def test_retry_after_as_an_http_date() -> None:
    # RFC 9110 10.2.3: Retry-After is delay-seconds or an HTTP-date.
    when = datetime.now(UTC) + timedelta(seconds=120)
    async with receiver() as recv:
        recv.default = Answer(429, {"Retry-After": format_datetime(when, usegmt=True)})
        async with WebhookSink(recv.url) as sink:
            with pytest.raises(cesdk.RetryableDeliveryError) as caught:
                await sink.send(sample())
    assert caught.value.retry_after is not None
    assert 100 < caught.value.retry_after <= 120


async def test_retryable_without_retry_after() -> None:
    async with receiver() as recv:
        recv.default = Answer(503)
        async with WebhookSink(recv.url) as sink:
            with pytest.raises(cesdk.RetryableDeliveryError) as caught:
                await sink.send(sample())
    assert caught.value.retry_after is None


async def test_other_4xx_is_permanent_with_the_body_excerpt() -> None:
    async with receiver() as recv:
        recv.default = Answer(422, body=b'{"error": "field \'reason\' is required"}' + b"x" * 2000)
        async with WebhookSink(recv.url) as sink:
            with pytest.raises(cesdk.PermanentDeliveryError) as caught:
                await sink.send(sample())
    text = str(caught.value)
    assert "answered 422 Unprocessable" in text
    assert "field 'reason' is required" in text
    assert len(text) < 500  # an excerpt, not the whole body


async def test_410_is_permanent_loud_and_final(caplog: pytest.LogCaptureFixture) -> None:
    # http-webhook.md 2.2: the sender SHOULD refrain from sending further notifications.
    async with receiver() as recv:
        recv.default = Answer(410, body=b"retired")
        async with WebhookSink(recv.url) as sink:
            with (
                caplog.at_level(logging.ERROR, "cesdk.webhook"),
                pytest.raises(cesdk.PermanentDeliveryError, match="410"),
            ):
                await sink.send(sample(1))
            with pytest.raises(cesdk.PermanentDeliveryError, match="410 Gone before"):
                await sink.send(sample(2))
    assert len(recv.requests) == 1  # the second event was not sent
    assert any("GONE" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirects_are_not_followed(status: int) -> None:
    # http-webhook.md 2.2: the client MUST NOT follow a redirection.
    async with receiver() as recv:
        elsewhere = recv.url.replace("/hook", "/elsewhere")
        recv.default = Answer(status, {"Location": elsewhere})
        async with WebhookSink(recv.url) as sink:
            with pytest.raises(cesdk.PermanentDeliveryError, match="must not redirect"):
                await sink.send(sample())
    assert [r.path for r in recv.requests] == ["/hook"]


async def test_connection_refused_is_retryable() -> None:
    async with WebhookSink(f"http://127.0.0.1:{free_port()}/") as sink:
        with pytest.raises(cesdk.RetryableDeliveryError):
            await sink.send(sample())


async def test_timeout_is_retryable() -> None:
    async with receiver() as recv:
        recv.default = Answer(hold=True)
        async with WebhookSink(recv.url, timeout=0.3) as sink:
            with pytest.raises(cesdk.RetryableDeliveryError, match="Timeout"):
                await sink.send(sample())


async def test_send_outside_async_with_is_retryable() -> None:
    sink = WebhookSink("http://127.0.0.1:9/")
    with pytest.raises(cesdk.RetryableDeliveryError, match="not open"):
        await sink.send(sample())


async def test_the_pipeline_retries_then_dead_letters_with_the_reason() -> None:
    async with receiver() as recv:
        recv.script = [Answer(503, {"Retry-After": "0"}), Answer(400, body=b"bad subject")]
        dead = cesdk.testing.CapturingSink()
        pipeline = cesdk.Pipeline(
            cesdk.MemorySource([sample(1)]),
            routes=[cesdk.Route(WebhookSink(recv.url), name="hook")],
            dead_letter=dead,
        )
        await pipeline.run(handle_signals=False)
    (letter,) = dead.events
    assert letter["deadletterattempts"] == 2
    assert "answered 400 Bad Request: bad subject" in letter["deadletterreason"]
