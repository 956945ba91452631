import cesdk
from cesdk import templates

event = cesdk.CloudEvent(
    type="com.example.order.created",
    source="/shop",
    subject="orders/42",
    data={"customer": "Ada <!channel>", "total": 99.5},
    extensions={"severity": "high"},
)

# Every attribute and extension is a name; so are data, event and extensions.
slack = templates.compile(
    ":package: *{{ subject }}* for {{ data.customer }} ({{ severity }}), {{ time | timeformat }}",
    escape="slack",
    name="order.slack",
)
text = slack.render(event)
assert "Ada &lt;!channel&gt;" in text  # event text cannot ping the channel
print(text)

# A missing name is an error that names the template, the line and the event id.
try:
    templates.compile("{{ reason }}", name="typo.j2").render(event)
except templates.TemplateError as err:  # a cesdk.PermanentDeliveryError: dead-lettered
    print(err.template, err.line, err.event_id == event.id)

# The shipped defaults handle Kubernetes Events and any other event.
print(templates.default("email_subject").render(event))
