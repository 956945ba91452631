"""The sink is found by name (`use: slack`), built from YAML options, and the
HTTP -> Slack example runs against the fake."""

from __future__ import annotations

import runpy
from pathlib import Path

import cesdk
from cesdk import plugins
from cesdk_slack import SlackSink
from cesdk_slack.testing import SlackFake
from slack_helpers import event

ROOT = Path(__file__).parents[3]
EXAMPLE = ROOT / "examples" / "http_to_slack.yaml"
SNIPPETS = ROOT / "docs" / "snippets"


def test_the_entry_point_names_the_sink() -> None:
    assert "slack" in plugins.available("cesdk.sinks")
    assert plugins.load("cesdk.sinks", "slack") is SlackSink


async def test_a_yaml_pipeline_posts_to_slack(fast_slack: SlackFake, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "source: memory\n"
        "sink:\n"
        "  use: slack\n"
        "  token: ${SLACK_TOKEN}\n"
        "  api_url: ${SLACK_API}\n"
        "  channel: general\n"
        "  template: '*{{ type }}* about `{{ subject }}`'\n"
        "  header_template: ''\n"
        "  thread_key: '{{ subject }}'\n"
        "  rate: '20'\n"
        "dead_letter: memory\n"
    )
    environ = {"SLACK_TOKEN": fast_slack.token, "SLACK_API": fast_slack.api_url}
    source = cesdk.MemorySource([event(1), event(2, subject="pod/web-1")])
    pipeline = cesdk.load_pipeline(path, environ=environ, source=source)
    sink = pipeline.routes[0].sink
    assert isinstance(sink, SlackSink)
    assert sink.rate == 20.0
    await pipeline.run(handle_signals=False)
    first, reply = fast_slack.messages("general")
    assert first.section_texts() == ["*io.k8s.event.warning* about `pod/web-1`"]
    assert reply.thread_ts == first.ts


async def test_from_url_makes_a_webhook_sink(fast_slack: SlackFake) -> None:
    sink = SlackSink.from_url(fast_slack.add_webhook("alerts"), mode="binary", rate=50)
    async with sink:
        await sink.send(event(1))
    assert [m.via for m in fast_slack.messages("alerts")] == ["webhook"]


def test_bad_yaml_options_are_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "source: memory\n"
        "sink:\n"
        "  use: slack\n"
        "  token: xoxb-hidden-secret\n"
        "  channel: alerts\n"
        "  rate: fast\n"
        "  thread_keys: '{{ subject }}'\n"
    )
    problems = cesdk.validate_file(path)
    assert {p.key for p in problems} == {"sink.rate", "sink.thread_keys"}
    assert any("did you mean 'thread_key'" in str(p) for p in problems)
    assert all("xoxb-hidden-secret" not in str(p) for p in problems)
    webhook_only = tmp_path / "webhook.yaml"
    webhook_only.write_text(
        "source: memory\nsink:\n  use: slack\n  webhook_url: https://hooks.slack.com/services/"
        "T1/B1/abc\n  thread_key: '{{ subject }}'\n"
    )
    [problem] = cesdk.validate_file(webhook_only)
    assert "returns no message ts for threads" in str(problem)


def test_the_example_is_valid_and_shown_in_the_docs() -> None:
    assert (SNIPPETS / "slack_http_pipeline.yaml").read_text() == EXAMPLE.read_text(), (
        "docs/snippets/slack_http_pipeline.yaml must be a copy of examples/http_to_slack.yaml"
    )
    assert cesdk.validate_file(EXAMPLE, environ={"SLACK_BOT_TOKEN": "xoxb-1"}) == []


def test_the_example_runs_against_the_fake() -> None:
    # The docs snippet starts a SlackFake, runs the example with cesdk.load_pipeline and
    # posts events over HTTP; it asserts on what the fake received.
    runpy.run_path(str(SNIPPETS / "slack_yaml_run.py"), run_name="__main__")
