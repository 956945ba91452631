"""Standard Webhooks signing: the published vector, and what cesdk-http verifies."""

from __future__ import annotations

import base64
import time

import pytest

import cesdk
from cesdk.testing import CapturingSink
from cesdk_http import HttpSource
from cesdk_webhook import Signer, WebhookSink, message_id
from webhook_receiver import receiver, sample

# The published Standard Webhooks test vector.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

OLD = "whsec_" + base64.b64encode(b"old signing key").decode()
NEW = "whsec_" + base64.b64encode(b"new signing key").decode()


def test_known_vector() -> None:
    signer = Signer(VECTOR_SECRET, clock=lambda: 1614265330)
    body = b'{"test": 2432232314}'
    assert signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == VECTOR_SIGNATURE
    headers = signer.headers("msg_p5jXN8AQM9LWM0D4loKWxJek", body)
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": VECTOR_SIGNATURE,
    }


def test_message_id_is_stable_per_event_identity() -> None:
    # The receiver's idempotency key: the same on every retry, different per (source, id).
    assert message_id([sample(1)]) == message_id([sample(1).replace(subject="other")])
    assert message_id([sample(1)]) != message_id([sample(1).replace(source="/elsewhere")])
    assert message_id([sample(1)]).startswith("msg_")
    assert message_id([sample(1)]).isascii()


async def test_requests_carry_the_three_headers() -> None:
    async with receiver() as recv, WebhookSink(recv.url, signing_secret=VECTOR_SECRET) as sink:
        await sink.send(sample(1))
    headers = recv.requests[0].headers
    assert headers["webhook-id"] == message_id([sample(1)])
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    expected = Signer(VECTOR_SECRET).sign(
        headers["webhook-id"], int(headers["webhook-timestamp"]), recv.requests[0].body
    )
    assert headers["webhook-signature"] == expected


async def test_http_source_verifies_what_the_sink_signs_through_a_rotation() -> None:
    source = HttpSource(port=0, webhook_secret=[OLD, NEW])
    got = CapturingSink()
    pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(got)], dead_letter=CapturingSink())
    async with pipeline:
        await source.wait_ready()
        for n, secret in enumerate([OLD, NEW]):
            async with WebhookSink(source.url, signing_secret=secret, mode="structured") as sink:
                await sink.send(sample(n))
        stranger = "whsec_" + base64.b64encode(b"someone else").decode()
        async with WebhookSink(source.url, signing_secret=stranger) as sink:
            with pytest.raises(cesdk.PermanentDeliveryError, match="401"):
                await sink.send(sample(9))
    assert [e.id for e in got.events] == ["ev-0", "ev-1"]
