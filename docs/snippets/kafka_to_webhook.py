import asyncio

from aiohttp import web

import cesdk
from cesdk.bindings import http
from cesdk.testing import free_port
from cesdk_kafka import KafkaSink, KafkaSource
from cesdk_kafka.testing import KafkaBroker
from cesdk_webhook import WebhookSink

received: list[cesdk.CloudEvent] = []


async def receive(request: web.Request) -> web.Response:  # any webhook receiver
    received.append(http.from_http(request.headers.items(), await request.read()))
    return web.Response(status=204)


async def main(broker: KafkaBroker) -> None:
    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()

    # Some producer puts events on the "k8s-events" topic (here: a KafkaSink).
    topic = await broker.create_topic("k8s-events", partitions=3)
    async with KafkaSink(topic, bootstrap_servers=broker.bootstrap, key="partitionkey") as out:
        for n in range(6):
            await out.send(
                cesdk.CloudEvent(
                    type="io.k8s.event.warning",
                    source="/k8s/prod",
                    id=str(n),
                    data={"reason": "BackOff"},
                    extensions={"partitionkey": f"pod-{n % 2}"},
                )
            )

    source = KafkaSource(
        topic,
        bootstrap_servers=broker.bootstrap,
        group_id="notify-webhook",
        start="earliest",  # a new group starts at the oldest record
        consumer_options=broker.consumer_options,  # short group timeouts for a test broker
    )
    pipeline = cesdk.Pipeline(
        source,
        routes=[cesdk.Route(WebhookSink(f"http://127.0.0.1:{port}/hook"))],
        ordering="delivery",  # one record at a time per partition, in offset order
        dead_letter=cesdk.ConsoleSink(),  # undeliverable and undecodable records
    )
    async with pipeline:  # runs in the background; stops (and commits) on exit
        async with asyncio.timeout(30):
            while len(received) < 6:
                await asyncio.sleep(0.01)
    await runner.cleanup()
    assert sorted(e.id for e in received) == ["0", "1", "2", "3", "4", "5"]


with KafkaBroker() as broker:  # Tansu on a free port, or CESDK_KAFKA_BOOTSTRAP
    asyncio.run(main(broker))
