import asyncio
import io

import cesdk
from cesdk_mqtt import MqttSink, MqttSource
from cesdk_mqtt.testing import MosquittoServer


async def main(port: int) -> str:
    out = io.StringIO()
    source = MqttSource(
        "k8s/#",
        port=port,
        client_id="notifier",  # a fixed id and a persistent session: QoS 1 messages
        persistent=True,  # published while the pipeline is down wait for it
    )
    pipeline = cesdk.Pipeline(
        source,
        routes=[cesdk.Route(cesdk.ConsoleSink(out, color=False), filter="type LIKE '%.warning'")],
        dead_letter=cesdk.MemorySink(),  # FileSink("deadletter.jsonl") in production
    )
    async with pipeline:  # runs in the background until the block ends
        while source.connections == 0:  # subscribed: what is published now reaches it
            await asyncio.sleep(0.05)
        # A producer: QoS 1, each send returns once the broker sent its PUBACK.
        async with MqttSink("k8s/{subject}", port=port) as producer:
            for n in range(3):
                await producer.send(
                    cesdk.CloudEvent(
                        type="io.k8s.event.warning",
                        source="/k8s/prod",
                        subject=f"pod/web-{n}",
                        data={"reason": "BackOff"},
                    )
                )
        while out.getvalue().count("pod/web-") < 3:
            await asyncio.sleep(0.05)
    return out.getvalue()


with MosquittoServer() as broker:  # a real mosquitto on a free port
    printed = asyncio.run(main(broker.port))

assert "pod/web-2" in printed
