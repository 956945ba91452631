from dataclasses import dataclass
from typing import Any

from cloudevents.core.bindings import amqp as sdk_amqp
from cloudevents.core.formats.json import JSONFormat

import cesdk
from cesdk import interop
from cesdk.bindings import amqp

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    id="1",
    time="2018-04-05T03:56:24Z",
    data="Back-off restarting failed container",
    datacontenttype="text/plain",
)


# from_amqp reads any object with properties, application_properties and body.
# properties may be a mapping or an object with a content_type attribute, as
# pika's BasicProperties is.
@dataclass
class BasicProperties:
    content_type: str | None = None


@dataclass
class Delivery:
    properties: Any
    application_properties: dict[str, Any]
    body: bytes


msg = amqp.to_binary(ev)
received = Delivery(BasicProperties("text/plain"), msg.application_properties, msg.body)
assert amqp.from_amqp(received) == ev

# The official SDK's AMQPMessage (content-type key, application_data, time in ms) is
# read as it is.
sdk_message = sdk_amqp.to_binary(interop.to_sdk(ev), JSONFormat())
assert sdk_message.application_properties["cloudEvents_time"] == 1522900584000
assert amqp.from_amqp(sdk_message) == ev

# The other way, its properties want the AMQP field name content-type.
for_sdk = sdk_amqp.AMQPMessage(
    properties={"content-type": msg.properties["content_type"]},
    application_properties=msg.application_properties,
    application_data=msg.body,
)
assert interop.from_sdk(sdk_amqp.from_amqp(for_sdk, JSONFormat())) == ev
