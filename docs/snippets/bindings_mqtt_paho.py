import cesdk
from cesdk.bindings import mqtt


# paho-mqtt (and aiomqtt) keep Content Type and User Properties on the message's
# properties object; from_mqtt reads them from there. A stand-in with the same shape:
class Properties:
    def __init__(self, content_type: str | None, user_properties: list[tuple[str, str]]):
        self.ContentType = content_type
        self.UserProperty = user_properties


class MQTTMessage:
    def __init__(self, topic: str, payload: bytes, properties: Properties | None) -> None:
        self.topic, self.payload, self.properties = topic, payload, properties


ev = cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/prod", id="1", time=None)
msg = mqtt.to_binary(ev)
received = MQTTMessage("k8s/prod/events", msg.payload, Properties(None, msg.user_properties))
assert mqtt.from_mqtt(received) == ev

# Publishing with paho-mqtt looks like this (not run here: no broker):
#
#     props = paho.mqtt.properties.Properties(PacketTypes.PUBLISH)
#     if msg.content_type is not None:
#         props.ContentType = msg.content_type
#     props.UserProperty = msg.user_properties
#     client.publish("k8s/prod/events", msg.payload, qos=1, properties=props)
