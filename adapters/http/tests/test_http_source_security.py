"""Bearer tokens (http-webhook.md 3), Standard Webhooks signatures, the handshake (4)."""

from __future__ import annotations

import base64
import time

import pytest

import cesdk
from cesdk_http import SignatureCheck, decode_secret, sign
from http_source_support import event, running

# The published Standard Webhooks test vector (the reference libraries' tests).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = "1614265330"
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

OLD_SECRET = "whsec_" + base64.b64encode(b"the old key, retiring").decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"the new key, rolling in").decode()


def vector_headers(**overrides: str) -> dict[str, str]:
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": VECTOR_TIMESTAMP,
        "webhook-signature": VECTOR_SIGNATURE,
    }
    headers.update(overrides)
    return headers


def check(*secrets: str, now: float = float(VECTOR_TIMESTAMP)) -> SignatureCheck:
    return SignatureCheck(list(secrets), clock=lambda: now)


def test_known_vector_signs_and_verifies() -> None:
    assert "v1," + sign(decode_secret(VECTOR_SECRET), VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == (
        VECTOR_SIGNATURE
    )
    # The prefix is optional, as in the reference libraries.
    assert decode_secret(VECTOR_SECRET) == decode_secret(VECTOR_SECRET.removeprefix("whsec_"))
    assert check(VECTOR_SECRET).problem(vector_headers(), VECTOR_BODY) is None


def test_tampered_body_is_refused() -> None:
    tampered = VECTOR_BODY.replace(b"4", b"5")
    assert "no webhook-signature matches" in (
        check(VECTOR_SECRET).problem(vector_headers(), tampered) or ""
    )


def test_tampered_id_or_timestamp_is_refused() -> None:
    verifier = check(VECTOR_SECRET, now=float(VECTOR_TIMESTAMP) + 1)
    assert verifier.problem(vector_headers(**{"webhook-id": "msg_other"}), VECTOR_BODY)
    assert verifier.problem(vector_headers(**{"webhook-timestamp": "1614265331"}), VECTOR_BODY)


def test_stale_and_future_timestamps_are_refused() -> None:
    late = check(VECTOR_SECRET, now=float(VECTOR_TIMESTAMP) + 301)
    early = check(VECTOR_SECRET, now=float(VECTOR_TIMESTAMP) - 301)
    assert "away from now" in (late.problem(vector_headers(), VECTOR_BODY) or "")
    assert "away from now" in (early.problem(vector_headers(), VECTOR_BODY) or "")
    within = check(VECTOR_SECRET, now=float(VECTOR_TIMESTAMP) + 299)
    assert within.problem(vector_headers(), VECTOR_BODY) is None


def test_missing_or_malformed_headers_are_refused() -> None:
    verifier = check(VECTOR_SECRET)
    assert verifier.problem({}, VECTOR_BODY)
    assert verifier.problem(vector_headers(**{"webhook-timestamp": "soon"}), VECTOR_BODY)
    assert verifier.problem(vector_headers(**{"webhook-signature": "v2,abc"}), VECTOR_BODY)


def test_rotation_any_listed_secret_and_any_listed_signature() -> None:
    now = str(int(time.time()))
    body = b"{}"
    old = sign(decode_secret(OLD_SECRET), "msg_1", now, body)
    new = sign(decode_secret(NEW_SECRET), "msg_1", now, body)
    both = SignatureCheck([OLD_SECRET, NEW_SECRET])
    headers = {"webhook-id": "msg_1", "webhook-timestamp": now}
    assert both.problem({**headers, "webhook-signature": f"v1,{old}"}, body) is None
    assert both.problem({**headers, "webhook-signature": f"v1,{new}"}, body) is None
    # A sender mid-rotation sends both signatures; a receiver knowing either accepts.
    pair = f"v1,{old} v1,{new}"
    assert (
        SignatureCheck([NEW_SECRET]).problem({**headers, "webhook-signature": pair}, body) is None
    )
    # Once the old secret is retired, what it signed is refused.
    retired = SignatureCheck([NEW_SECRET])
    assert retired.problem({**headers, "webhook-signature": f"v1,{old}"}, body)


def test_secrets_must_be_base64() -> None:
    with pytest.raises(ValueError, match="base64"):
        decode_secret("whsec_not base64!")


def signed(secret: str, body: bytes, headers: dict[str, str], msg_id: str = "msg_e2e") -> dict:
    now = str(int(time.time()))
    signature = sign(decode_secret(secret), msg_id, now, body)
    return {
        **headers,
        "webhook-id": msg_id,
        "webhook-timestamp": now,
        "webhook-signature": f"v1,{signature}",
    }


async def test_source_verifies_signatures_over_http() -> None:
    message = cesdk.bindings.http.to_binary(event(1))
    async with running(webhook_secret=[OLD_SECRET, NEW_SECRET]) as run:
        ok_old, _, _ = await run.post(
            message.body, signed(OLD_SECRET, message.body, message.headers)
        )
        ok_new, _, _ = await run.post(
            message.body, signed(NEW_SECRET, message.body, message.headers)
        )
        forged = signed(VECTOR_SECRET, message.body, message.headers)
        refused, _, _ = await run.post(message.body, forged)
        tampered = signed(NEW_SECRET, message.body, message.headers)
        changed, _, _ = await run.post(message.body + b" ", tampered)
        unsigned, _, _ = await run.post(message.body, message.headers)
    assert (ok_old, ok_new) == (204, 204)
    assert (refused, changed, unsigned) == (401, 401, 401)
    assert len(run.sink.events) == 2
    assert run.dead.events == []  # refused senders are not dead-lettered


async def test_bearer_token_in_header_or_query() -> None:
    # http-webhook.md 3.1 (Authorization header) and 3.2 (access_token query parameter).
    message = cesdk.bindings.http.to_binary(event(2))
    async with running(bearer_token=["s3cret", "next-s3cret"]) as run:
        header, _, _ = await run.post(
            message.body, {**message.headers, "authorization": "Bearer s3cret"}
        )
        rotated, _, _ = await run.post(
            message.body, {**message.headers, "authorization": "bearer next-s3cret"}
        )
        query, _, _ = await run.post(message.body, message.headers, path="/?access_token=s3cret")
        wrong, answer, _ = await run.post(
            message.body, {**message.headers, "authorization": "Bearer guess"}
        )
        missing, _, _ = await run.post(message.body, message.headers)
    assert (header, rotated, query) == (204, 204, 204)
    assert (wrong, missing) == (401, 401)
    assert answer["www-authenticate"] == "Bearer"


async def test_handshake_grants_allowed_origins_only() -> None:
    # http-webhook.md 4.2: WebHook-Allowed-Origin and -Rate only when delivery is allowed.
    async with running(allowed_origins=["events.example.com"], rate_limit=2) as run:
        granted, headers, _ = await run.post(
            b"",
            {"webhook-request-origin": "events.example.com", "webhook-request-rate": "120"},
            method="OPTIONS",
        )
        refused, refused_headers, _ = await run.post(
            b"", {"webhook-request-origin": "evil.example"}, method="OPTIONS"
        )
        missing, _, _ = await run.post(b"", method="OPTIONS")
    assert granted == 200
    assert headers["webhook-allowed-origin"] == "events.example.com"
    assert headers["webhook-allowed-rate"] == "120"  # 2 per second
    assert "POST" in headers["allow"]
    assert refused == 403
    assert "webhook-allowed-origin" not in refused_headers
    assert "webhook-allowed-rate" not in refused_headers
    assert missing == 400


async def test_handshake_wildcard_and_not_configured() -> None:
    async with running(allowed_origins=["*"]) as run:
        status, headers, _ = await run.post(
            b"", {"webhook-request-origin": "any.example"}, method="OPTIONS"
        )
    assert status == 200
    assert (headers["webhook-allowed-origin"], headers["webhook-allowed-rate"]) == ("*", "*")
    async with running() as run:
        status, headers, _ = await run.post(
            b"", {"webhook-request-origin": "any.example"}, method="OPTIONS"
        )
    # 4.2: a target that does not take part in the handshake answers 405.
    assert status == 405
    assert "webhook-allowed-origin" not in headers
