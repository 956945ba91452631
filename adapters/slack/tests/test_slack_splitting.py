"""Messages are split so that no request breaks Slack's limits, and nothing is lost.

Block Kit: 50 blocks per message, 3,000 characters per section text, 150 per header;
chat.postMessage: 40,000 characters of text. Slack's mrkdwn entities (&amp; &lt; &gt;)
are never cut.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cesdk
from cesdk.templates import escape_slack
from cesdk_slack import Limits, SlackSink, plan_messages, split_text, units
from cesdk_slack.testing import SlackFake, check_message
from slack_helpers import api_sink, event, event_id

ENTITY = re.compile("&(?:amp|lt|gt);")
_PIECES = st.sampled_from(["a", "b", " ", "\n", "\n\n", "&", "<", ">", "é", "😀", "x" * 7, "\t"])
raw_text = st.lists(_PIECES, max_size=400).map("".join)
limits = st.builds(
    lambda blocks, section, header: Limits(
        blocks=blocks, section=section, header=header, text=section + 5 * header + 2 + 40
    ),
    st.integers(3, 8),
    st.integers(10, 60),
    st.integers(2, 20),
)
slow = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def boundaries(pieces: list[str]) -> list[int]:
    out, at = [], 0
    for piece in pieces[:-1]:
        at += len(piece)
        out.append(at)
    return out


@slow
@given(raw_text, st.integers(10, 80))
def test_split_text_keeps_everything_within_the_limit(raw: str, limit: int) -> None:
    text = escape_slack(raw)
    pieces = split_text(text, limit)
    assert "".join(pieces) == text
    assert all(pieces)
    assert all(units(piece) <= limit for piece in pieces)
    for cut in boundaries(pieces):
        for entity in ENTITY.finditer(text):
            assert not entity.start() < cut < entity.end(), (text, cut)


@slow
@given(st.text(max_size=300), st.integers(10, 50))
def test_split_text_on_any_text(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert "".join(pieces) == text
    assert all(0 < units(piece) <= limit for piece in pieces)


def test_split_text_prefers_paragraphs_then_lines_then_spaces() -> None:
    assert split_text("one\n\ntwo", 100) == ["one\n\n", "two"]
    assert split_text("aaaa bbbb\ncccc dddd\n", 12) == ["aaaa bbbb\n", "cccc dddd\n"]
    assert split_text("aaaa bbbb cccc", 10) == ["aaaa bbbb ", "cccc"]
    assert split_text("aaaaaaaa bbbb", 10) == ["aaaaaaaa ", "bbbb"]
    assert split_text("a bbbbbbbbbbbb", 10) == ["a bbbbbbbb", "bbbb"]  # no piece under half
    assert split_text("abcdefghij&amp;k", 12) == ["abcdefghij", "&amp;k"]
    assert split_text("😀" * 6, 10) == ["😀" * 5, "😀"]  # 2 UTF-16 units each


def test_units_count_utf16_code_units() -> None:
    assert units("abc") == 3
    assert units("😀é") == 3


@slow
@given(st.text(max_size=60), raw_text, st.text(max_size=40), limits)
def test_planned_messages_fit_and_carry_the_whole_text(
    header: str, raw: str, footer: str, fit: Limits
) -> None:
    body = escape_slack(raw)
    messages = plan_messages(header, body, footer, limits=fit)
    if not messages:
        assert not header.strip()
        assert not body.strip()
        return
    sections: list[str] = []
    for index, message in enumerate(messages):
        check_message(message, fit)  # what the fake (and Slack) would refuse
        kinds = [block["type"] for block in message["blocks"]]
        assert len(kinds) <= fit.blocks
        assert units(message["text"]) <= fit.text
        assert ("header" in kinds) == (index == 0 and bool(header.strip()))
        sections += [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
        for block in message["blocks"]:
            if block["type"] == "context" and len(messages) > 1:
                assert block["elements"][0]["text"].endswith(f"part {index + 1}/{len(messages)}")
    assert re.sub(r"\s", "", "".join(sections)) == re.sub(r"\s", "", body)


def test_a_header_is_one_line_cut_at_150() -> None:
    [message] = plan_messages("  a\nb  " + "h" * 200, "body", "")
    header = message["blocks"][0]["text"]["text"]
    assert header.startswith("a b hhh")
    assert len(header) == 150
    assert header.endswith("…")


def long_event(paragraphs: list[str]) -> cesdk.CloudEvent:
    return event(1, data={"paragraphs": paragraphs})


BODY = "{% for p in data.paragraphs %}{{ p }}\n\n{% endfor %}"


async def test_many_paragraphs_go_out_as_several_messages_in_order(
    fast_slack: SlackFake,
) -> None:
    paragraphs = [f"paragraph {n}: " + "word " * 100 for n in range(120)]  # 120 sections
    sink = api_sink(fast_slack, template=BODY, header_template="Long report", rate=50)
    async with sink:
        await sink.send(long_event(paragraphs))
    messages = fast_slack.messages("alerts")
    assert len(messages) == 3  # 50 blocks each at most: header + 48 + context, 49 + context
    assert [len(m.blocks) for m in messages] == [50, 50, 24]
    assert [m.context_text().rsplit(" ", 1)[-1] for m in messages] == ["1/3", "2/3", "3/3"]
    sent = [text for m in messages for text in m.section_texts()]
    assert sent == [escape_slack(p).strip() for p in paragraphs]
    assert {event_id(m) for m in messages} == {"e1"}


async def test_a_huge_paragraph_is_split_at_lines_within_40000(fast_slack: SlackFake) -> None:
    lines = [f"line {n:05d} " + "x" * 88 for n in range(1200)]  # 120,000 characters
    sink = api_sink(fast_slack, template="{{ data.text }}", header_template="", rate=50)
    async with sink:
        await sink.send(event(2, data={"text": "\n".join(lines)}))
    messages = fast_slack.messages("alerts")
    assert len(messages) == 4
    assert all(units(m.text) <= 40_000 for m in messages)
    sections = [s for m in messages for s in m.section_texts()]
    assert all(len(s) <= 3000 for s in sections)
    assert "\n".join(sections).split("\n") == lines  # cut at line ends only


async def test_a_retry_does_not_repost_the_parts_already_posted(fast_slack: SlackFake) -> None:
    paragraphs = ["x" * 2900] * 30  # 3 messages (40,000 characters of text each at most)
    fast_slack.fail_next("alerts", status=503, after=1)  # the second part fails once
    sink = api_sink(fast_slack, template=BODY, rate=50)
    async with sink:
        with pytest.raises(cesdk.RetryableDeliveryError, match="503"):
            await sink.send(long_event(paragraphs))
        assert len(fast_slack.messages()) == 1
        await sink.send(long_event(paragraphs))  # the pipeline's retry
    parts = [m.context_text().rsplit(" ", 1)[-1] for m in fast_slack.messages()]
    assert parts == ["1/3", "2/3", "3/3"]


async def test_an_event_that_renders_nothing_is_permanent(fast_slack: SlackFake) -> None:
    sink = api_sink(fast_slack, template="{{ '' }}", header_template="")
    async with sink:
        with pytest.raises(cesdk.PermanentDeliveryError, match="rendered no text"):
            await sink.send(event(3))
    assert fast_slack.messages() == []


def test_webhook_sinks_build_the_same_messages() -> None:
    sink = SlackSink("https://hooks.slack.com/services/T1/B1/abc", template="*{{ id }}*")
    [message] = sink.messages_for(event(4))
    assert [b["type"] for b in message["blocks"]] == ["header", "section", "context"]
    assert message["blocks"][1]["text"]["text"] == "*e4*"
