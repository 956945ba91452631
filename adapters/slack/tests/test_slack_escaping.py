"""Untrusted event text is escaped (&, <, > -> &amp; &lt; &gt;, the only characters
Slack's mrkdwn treats as control characters), so an event cannot mention <!channel>, a
user, or inject a link; the template's own text is trusted.
"""

from __future__ import annotations

from cesdk import templates
from cesdk_slack.testing import SlackFake
from slack_helpers import api_sink, event

HOSTILE = "<!channel> wake up <@U123> see <https://evil.example|click> & <!here>"


def kubernetes_event(message: str) -> dict[str, object]:
    return {
        "kind": "Event",
        "type": "Warning",
        "reason": "<!channel>",
        "message": message,
        "count": 3,
        "involvedObject": {"kind": "Pod", "name": "<@U999>", "namespace": "<#C1>"},
    }


async def test_event_text_reaches_slack_without_mentions_or_links(fast_slack: SlackFake) -> None:
    events = [
        event(1, subject=HOSTILE, data={"message": HOSTILE}, extensions={"note": HOSTILE}),
        event(2, data=kubernetes_event(HOSTILE)),  # the Kubernetes layout of the default
        event(3, type=f"x{HOSTILE}", data=HOSTILE),  # in the header too
    ]
    sink = api_sink(fast_slack, rate=50)
    async with sink:
        for item in events:
            await sink.send(item)
    messages = fast_slack.messages()
    assert len(messages) == 3
    for message in messages:
        assert message.special() == [], message.payload
        assert "&lt;!channel&gt;" in message.text
    # The header is plain_text (never parsed); the fallback text escapes it.
    header = messages[2].blocks[0]
    assert header["type"] == "header"
    assert header["text"]["type"] == "plain_text"
    assert messages[2].text.startswith("x&lt;!channel&gt;")


async def test_section_text_is_verbatim(fast_slack: SlackFake) -> None:
    async with api_sink(fast_slack) as sink:
        await sink.send(event(1))
    sections = [b for b in fast_slack.messages()[0].blocks if b["type"] == "section"]
    assert sections
    assert all(b["text"]["verbatim"] is True for b in sections)


async def test_the_templates_own_text_is_trusted(fast_slack: SlackFake) -> None:
    sink = api_sink(fast_slack, template="<!here> {{ data.message }}", header_template="")
    async with sink:
        await sink.send(event(1, data={"message": "<!channel>"}))
    [message] = fast_slack.messages()
    assert message.special() == ["<!here>", "<!here>"]  # in the section and the text
    assert message.section_texts() == ["<!here> &lt;!channel&gt;"]


async def test_a_callable_template_escapes_for_itself(fast_slack: SlackFake) -> None:
    def render(ev: object) -> str:
        return "*alert*: " + templates.escape_slack(HOSTILE)

    async with api_sink(fast_slack, template=render, header_template="") as sink:
        await sink.send(event(1))
    assert fast_slack.messages()[0].special() == []
