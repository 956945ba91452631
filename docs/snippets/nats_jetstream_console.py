import asyncio
import io

import nats
from nats.js.api import StreamConfig

import cesdk
from cesdk_nats import NatsSink, NatsSource
from cesdk_nats.testing import NatsServer


async def main(url: str) -> str:
    # The stream is infrastructure: create it once (here, or with the nats CLI).
    nc = await nats.connect(url)
    await nc.jetstream().add_stream(StreamConfig(name="K8S", subjects=["k8s.>"]))
    await nc.close()

    # A producer: JetStream publish, acknowledged by the server, deduplicated by id.
    async with NatsSink("k8s.{type}", servers=url, jetstream=True) as producer:
        for n in range(3):
            await producer.send(
                cesdk.CloudEvent(
                    type="io.k8s.event.warning",
                    source="/k8s/prod",
                    subject=f"pod/web-{n}",
                    data={"reason": "BackOff"},
                )
            )

    out = io.StringIO()
    console = cesdk.ConsoleSink(out, color=False)
    pipeline = cesdk.Pipeline(
        NatsSource("k8s.>", servers=url, jetstream=True, stream="K8S", durable="notifier"),
        routes=[cesdk.Route(console, filter="type LIKE '%.warning'")],
        dead_letter=cesdk.MemorySink(),  # FileSink("deadletter.jsonl") in production
    )
    async with pipeline:  # runs in the background until the block ends
        while out.getvalue().count("pod/web-") < 3:
            await asyncio.sleep(0.05)
    return out.getvalue()


with NatsServer() as server:  # a real nats-server -js on a free port
    printed = asyncio.run(main(server.url))

assert "pod/web-2" in printed
