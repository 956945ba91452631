"""YAML options are the constructor's keywords (``use: smtp``); the example runs."""

from __future__ import annotations

from pathlib import Path

import pytest

import cesdk
from cesdk.testing import CapturingSink, MemorySource
from cesdk_smtp import SmtpSink
from cesdk_smtp.testing import SmtpServer
from smtp_helpers import k8s_event

ROOT = Path(__file__).parents[3]
EXAMPLE = ROOT / "examples" / "email_digest.yaml"
PASSWORD = "yaml-pa55word"


def test_the_docs_show_the_example_as_it_is() -> None:
    snippet = ROOT / "docs" / "snippets" / "smtp_digest_pipeline.yaml"
    assert snippet.read_text() == EXAMPLE.read_text()


def test_the_example_is_valid_and_needs_the_password() -> None:
    assert cesdk.validate_file(EXAMPLE, environ={"SMTP_PASSWORD": PASSWORD}) == []
    [problem] = cesdk.validate_file(EXAMPLE, environ={})
    assert "SMTP_PASSWORD" in str(problem)
    assert problem.key == "routes[0].password"


def test_the_plugin_is_found_by_name() -> None:
    assert cesdk.plugins.load("cesdk.sinks", "smtp") is SmtpSink


def test_bad_options_are_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "source: {use: generator, count: 1}\n"
        "sink:\n"
        "  use: smtp\n"
        "  from_addr: a@example.com\n"
        "  to: [b@example.com]\n"
        "  pool: 3\n"
        f"  password: {PASSWORD}\n"
        "  username: u\n"
        "  tls: sometimes\n"
    )
    problems = cesdk.validate_file(path, environ={})
    text = "\n".join(str(p) for p in problems)
    assert "no option 'pool'" in text
    assert "pool_size" in text
    assert "tls" in text
    assert PASSWORD not in text


async def test_the_example_mails_a_digest() -> None:
    async with SmtpServer(auth={"alerts": PASSWORD}) as server:
        environ = {
            "SMTP_HOST": server.host,
            "SMTP_PORT": str(server.port),
            "SMTP_TLS": "none",  # a loopback relay; the real one speaks STARTTLS
            "SMTP_PASSWORD": PASSWORD,
            "DIGEST_INTERVAL": "0.3",  # the source ends soon; its events wait for digests
        }
        events = [k8s_event(n) for n in range(3)] + [
            k8s_event(9, extensions={"team": "payments"}),
            k8s_event(10, type="io.k8s.event.normal"),  # filtered out
        ]
        pipeline = cesdk.load_pipeline(EXAMPLE, environ=environ, source=MemorySource(events))
        sink = pipeline.routes[0].sink
        assert isinstance(sink, SmtpSink)
        assert PASSWORD not in repr(sink)
        pipeline.dead_letter = dead = CapturingSink()
        await pipeline.run(handle_signals=False)
        mails = await server.wait_for(2)
    assert dead.events == []
    by_rcpt = {m.rcpt_tos: m for m in mails}
    assert set(by_rcpt) == {("platform-oncall@example.com",), ("payments-oncall@example.com",)}
    assert by_rcpt[("platform-oncall@example.com",)].header("X-CloudEvents-Count") == "3"
    assert all(m.username == "alerts" for m in mails)


def test_from_url() -> None:
    sink = SmtpSink.from_url(
        "smtp://alerts:p%40ss@mail.example.com:2525?from=alerts@example.com"
        "&to=a@example.com,b@example.com&tls=starttls"
    )
    assert (sink.host, sink.port, sink.tls, sink.username) == (
        "mail.example.com",
        2525,
        "starttls",
        "alerts",
    )
    assert sink._settings.password == "p@ss"
    assert "p@ss" not in repr(sink)
    assert "p@ss" not in repr(sink._settings)
    assert [a.addr_spec for a in sink.to] == ["a@example.com", "b@example.com"]
    assert (
        SmtpSink.from_url(
            "smtps://mail.example.com?from=a@example.com&to=b@example.com", mode="binary"
        ).tls
        == "implicit"
    )
    with pytest.raises(ValueError, match="from="):
        SmtpSink.from_url("smtp://mail.example.com?to=b@example.com")
    with pytest.raises(ValueError, match="unknown SMTP URL parameters: cc"):
        SmtpSink.from_url("smtp://h?from=a@example.com&to=b@example.com&cc=c@example.com")
