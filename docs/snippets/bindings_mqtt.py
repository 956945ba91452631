import cesdk
from cesdk.bindings import mqtt

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    id="1",
    time="2018-04-05T03:56:24Z",
    data="Back-off restarting failed container",
    datacontenttype="text/plain",
    extensions={"attempt": 3},
)

# MQTT 5.0 binary mode: Content Type is datacontenttype, every other attribute a
# User Property named as the attribute, with its canonical string as value.
msg = mqtt.to_binary(ev, topic="k8s/prod/events")
assert msg.content_type == "text/plain"
assert msg.user_properties == [
    ("specversion", "1.0"),
    ("id", "1"),
    ("source", "/k8s/prod"),
    ("type", "io.k8s.event.warning"),
    ("time", "2018-04-05T03:56:24Z"),
    ("attempt", "3"),
]
assert msg.payload == b"Back-off restarting failed container"
assert mqtt.from_mqtt(msg) == ev

# MQTT 5.0 structured mode: Content Type names the event format.
structured = mqtt.to_structured(ev)
assert structured.content_type == "application/cloudevents+json; charset=utf-8"
assert mqtt.from_mqtt(structured) == ev

# MQTT 3.1.1 has no properties: structured JSON only, on both ends.
v311 = mqtt.to_structured(ev, version=mqtt.MQTT_3_1_1)
assert (v311.content_type, v311.user_properties) == (None, [])
assert mqtt.from_mqtt(v311, version=mqtt.MQTT_3_1_1) == ev
# An MQTT 5.0 subscriber gets such a message without properties, and reads it too.
assert mqtt.from_mqtt(mqtt.MqttMessage(v311.payload)) == ev

# No binary mode in MQTT 3.1.1.
try:
    mqtt.to_binary(ev, version=mqtt.MQTT_3_1_1)
except cesdk.EncodeError as exc:
    caught = exc
else:
    raise AssertionError("expected EncodeError")
assert "no binary mode" in str(caught)
