import asyncio

import cesdk
from cesdk_mqtt import MqttSink
from cesdk_mqtt.testing import MosquittoServer


async def main(url: str) -> None:
    # MQTT 5, binary mode: attributes in User Properties, data as the payload.
    alerts = MqttSink.from_url(f"{url}/alerts/{{type}}?qos=1")
    # MQTT 3.1.1 knows only structured mode (the JSON event format in the payload).
    legacy = MqttSink("legacy/{source}", port=int(url.rsplit(":", 1)[1]),
                      protocol_version=3, mode="structured", retain=True)  # fmt: skip
    event = cesdk.CloudEvent(type="com.example.ping", source="dc1", data={"ok": True})
    async with alerts, legacy:
        await alerts.send(event)  # returns once the broker acknowledged it
        await legacy.send(event)
        try:
            await alerts.send(event.replace(type="bad+type"))  # + is a wildcard
        except cesdk.PermanentDeliveryError as exc:
            print(exc)


with MosquittoServer() as broker:
    asyncio.run(main(broker.url))
