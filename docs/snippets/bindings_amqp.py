from datetime import UTC, datetime

import cesdk
from cesdk.bindings import amqp

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    id="1",
    time="2018-04-05T03:56:24Z",
    data={"reason": "BackOff"},
    extensions={"attempt": 3, "urgent": True, "digest": b"\x9f\x00"},
)

# Binary mode: cloudEvents_ application properties with native AMQP types,
# datacontenttype as the content_type property, the data as the body.
msg = amqp.to_binary(ev)
assert msg.properties == {"content_type": "application/json"}
assert msg.application_properties == {
    "cloudEvents_specversion": "1.0",
    "cloudEvents_id": "1",
    "cloudEvents_source": "/k8s/prod",
    "cloudEvents_type": "io.k8s.event.warning",
    "cloudEvents_time": datetime(2018, 4, 5, 3, 56, 24, tzinfo=UTC),  # an AMQP timestamp
    "cloudEvents_attempt": 3,  # an AMQP long
    "cloudEvents_urgent": True,  # an AMQP boolean
    "cloudEvents_digest": b"\x9f\x00",  # AMQP binary
}
assert msg.body == b'{"reason":"BackOff"}'
decoded = amqp.from_amqp(msg)
assert decoded == ev
assert decoded.extensions["attempt"] == 3  # still an Integer, not "3"

# The other separator, for receivers that only know "cloudEvents:"; both are read.
colon = amqp.to_binary(ev, prefix=amqp.COLON_PREFIX)
assert "cloudEvents:id" in colon.application_properties
assert amqp.from_amqp(colon) == ev

# A time with finer digits than an AMQP timestamp's milliseconds stays text.
precise = ev.replace(time="2018-04-05T03:56:24.123456Z")
text = amqp.to_binary(precise).application_properties["cloudEvents_time"]
assert text == "2018-04-05T03:56:24.123456Z"
assert amqp.from_amqp(amqp.to_binary(precise)) == precise

# Structured mode: the event format in the body, its media type as content_type.
structured = amqp.to_structured(ev)
assert structured.properties == {"content_type": "application/cloudevents+json; charset=utf-8"}
assert amqp.from_amqp(structured) == ev
