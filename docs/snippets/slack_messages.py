import cesdk
from cesdk_slack import SlackSink

sink = SlackSink(
    token="xoxb-example",
    channel="#alerts",
    header_template="Nightly report: {{ subject }}",
    template="{% for line in data.lines %}{{ line }}\n\n{% endfor %}",  # a paragraph each
)
event = cesdk.CloudEvent(
    type="com.example.report",
    source="/reports",
    subject="<!channel> build",  # event text: escaped, or shown as typed
    data={"lines": [f"check {n}: passed & logged" for n in range(120)]},
)
messages = sink.messages_for(event)  # what send() posts, without posting it
assert len(messages) == 3  # 120 sections: at most 50 blocks per message
first = messages[0]
assert first["blocks"][0] == {
    "type": "header",  # plain text, one line, at most 150 characters
    "text": {"type": "plain_text", "text": "Nightly report: <!channel> build"},
}
assert first["blocks"][1]["text"] == {
    "type": "mrkdwn",
    "text": "check 0: passed &amp; logged",
    "verbatim": True,
}
assert first["text"].startswith("Nightly report: &lt;!channel&gt; build")  # escaped
assert first["blocks"][-1]["elements"][0]["text"].endswith("part 1/3")
