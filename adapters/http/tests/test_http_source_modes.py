"""Binary, structured and batched mode (http-protocol-binding.md 3), plain JSON, refusals."""

from __future__ import annotations

import orjson

import cesdk
from cesdk.bindings import http
from http_source_support import event, running


async def test_binary_mode_event_is_delivered_then_answered_204() -> None:
    # http-protocol-binding.md 3.1: attributes in ce- headers, data in the body.
    sent = event(1, extensions={"partitionkey": "web-1"})
    async with running() as run:
        status, _, body = await run.post_event(sent)
        assert (status, body) == (204, b"")
        # Answered after settlement: the event is in the sink before the 204.
        assert run.sink.events == [sent]


async def test_structured_mode_event_is_delivered() -> None:
    # http-protocol-binding.md 3.2: the JSON event format as the body.
    sent = event(2)
    async with running() as run:
        status, _, _ = await run.post_event(sent, mode="structured")
        assert status == 204
        assert run.sink.events == [sent]


async def test_batched_mode_delivers_each_event_before_answering() -> None:
    # http-protocol-binding.md 3.3: the JSON batch format; one delivery per event.
    sent = [event(n) for n in range(5)]
    message = http.to_batch(sent)
    async with running() as run:
        status, _, _ = await run.post(message.body, message.headers)
        assert status == 204
        assert sorted(e.id for e in run.sink.events) == [e.id for e in sent]


async def test_invalid_event_gets_400_problem_naming_the_attribute() -> None:
    headers = {"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": "t"}
    headers["ce-time"] = "yesterday"
    async with running() as run:
        status, answer_headers, body = await run.post(b"", headers)
        problem = orjson.loads(body)
    assert status == 400
    assert answer_headers["content-type"] == "application/problem+json"
    assert problem["attribute"] == "time"
    assert "time" in problem["errors"]
    assert problem["status"] == 400


async def test_rejected_body_is_kept_in_the_dead_letter_sink() -> None:
    # DESIGN.md: a source never drops input; the sender is told 400 and the bytes stay.
    async with running() as run:
        status, _, _ = await run.post(
            b"{not json", {"content-type": "application/cloudevents+json"}
        )
        assert status == 400
        assert len(run.dead.events) == 1
    dead = run.dead.events[0]
    assert dead.type == "dev.cesdk.deadletter.undecodable"
    assert dead.data == b"{not json"


async def test_rejected_body_is_only_answered_when_dead_lettering_is_off() -> None:
    async with running(dead_letter_rejected=False) as run:
        status, _, _ = await run.post(b"{", {"content-type": "application/cloudevents+json"})
        assert status == 400
    assert run.dead.events == []


async def test_unknown_event_format_gets_415() -> None:
    # http-webhook.md 2.2: a format that is not understood is answered 415.
    async with running() as run:
        status, _, _ = await run.post(b"\x00", {"content-type": "application/cloudevents+xml"})
        plain, _, _ = await run.post(b"hello", {"content-type": "text/plain"})
    assert (status, plain) == (415, 415)


async def test_attribute_header_given_twice_is_refused() -> None:
    async with running() as run:
        status, _, body = await run.post(
            b"",
            [  # pairs: a repeated header
                ("ce-specversion", "1.0"), ("ce-id", "1"), ("ce-id", "2"),
                ("ce-source", "/s"), ("ce-type", "t"),
            ],
        )  # fmt: skip
    assert status == 400
    assert orjson.loads(body)["attribute"] == "id"


async def test_other_methods_and_paths() -> None:
    async with running(path="/events") as run:
        get, headers, _ = await run.post(b"", method="GET", path="/events")
        elsewhere, _, _ = await run.post(b"", path="/other")
    assert get == 405
    assert "POST" in headers["allow"]
    assert elsewhere == 404


GITHUB_PUSH = {"ref": "refs/heads/main", "repository": {"full_name": "octo/hello"}}


async def test_plain_json_webhook_is_wrapped_with_templates() -> None:
    async with running(
        mode="json",
        json_type="com.github.{header.x-github-event}",
        json_source="https://github.com/{body.repository.full_name}",
        json_id="{header.x-github-delivery}",
        json_subject="{body.ref}",
    ) as run:
        status, _, _ = await run.post(
            orjson.dumps(GITHUB_PUSH),
            {
                "content-type": "application/json",
                "x-github-event": "push",
                "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
            },
        )
        assert status == 204
        # A CloudEvent still goes through as one, in the same mode.
        status, _, _ = await run.post_event(event(3))
        assert status == 204
    wrapped, plain = run.sink.events
    assert wrapped.type == "com.github.push"
    assert wrapped.source == "https://github.com/octo/hello"
    assert wrapped.id == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert wrapped.subject == "refs/heads/main"
    assert wrapped.data == GITHUB_PUSH
    assert wrapped.datacontenttype == "application/json"
    assert wrapped.time is None  # decoders never invent attributes
    assert plain == event(3)


ALERTMANAGER = {
    "version": "4",
    "status": "firing",
    "groupKey": '{}:{alertname="HighLatency"}',
    "externalURL": "http://alertmanager.example:9093",
    "alerts": [{"labels": {"alertname": "HighLatency"}, "fingerprint": "a1b2"}],
}


async def test_alertmanager_webhook_with_defaults_and_webhook_id() -> None:
    async with running(
        mode="json",
        json_type="io.prometheus.alertmanager.{body.status}",
        json_source="{body.externalURL}",
        json_subject="{body.alerts.0.labels.alertname}",
        json_time="{body.alerts.0.startsAt:-1970-01-01T00:00:00Z}",
    ) as run:
        status, _, _ = await run.post(
            orjson.dumps(ALERTMANAGER),
            {"content-type": "application/json", "webhook-id": "msg_1"},
        )
    assert status == 204
    (wrapped,) = run.sink.events
    assert wrapped.type == "io.prometheus.alertmanager.firing"
    assert wrapped.source == "http://alertmanager.example:9093"
    assert wrapped.subject == "HighLatency"
    assert wrapped.id == "msg_1"  # the sender's webhook-id: retries are recognised
    assert str(wrapped.time) == "1970-01-01T00:00:00Z"


async def test_plain_json_missing_field_names_the_attribute() -> None:
    async with running(mode="json", json_type="x.{header.x-github-event}") as run:
        status, _, body = await run.post(b"{}", {"content-type": "application/json"})
        not_json, _, _ = await run.post(b"<xml/>", {"content-type": "application/xml"})
        broken, _, _ = await run.post(b"{", {"content-type": "application/json"})
    assert status == 400
    assert orjson.loads(body)["attribute"] == "type"
    assert not_json == 415
    assert broken == 400


def test_bad_templates_are_refused_at_construction() -> None:
    import pytest

    from cesdk_http import HttpSource

    with pytest.raises(ValueError, match="field"):
        HttpSource(mode="json", json_type="{nothing.here}")
    with pytest.raises(ValueError, match="unbalanced"):
        HttpSource(mode="json", json_type="a}b")
    with pytest.raises(ValueError, match="queue"):
        HttpSource(respond="accepted")
    assert isinstance(HttpSource(), cesdk.Source)
