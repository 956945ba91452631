import asyncio
import base64

import cesdk
from cesdk_http import HttpSource
from cesdk_webhook import WebhookSink

OLD = "whsec_" + base64.b64encode(b"last month's key").decode()
NEW = "whsec_" + base64.b64encode(b"this month's key").decode()

source = HttpSource(
    port=0,
    bearer_token="s3cret",  # Authorization: Bearer ... or ?access_token=...
    webhook_secret=[OLD, NEW],  # Standard Webhooks; both while keys rotate
    signature_tolerance=300,  # seconds; older signatures are replays
    allowed_origins=["events.example.com"],  # the OPTIONS handshake (http-webhook.md 4)
)


async def main() -> None:
    got = cesdk.MemorySink()
    async with cesdk.Pipeline(source, routes=[cesdk.Route(got)], dead_letter=cesdk.MemorySink()):
        await source.wait_ready()
        for secret in (OLD, NEW):
            sender = WebhookSink(
                source.url,
                bearer_token="s3cret",
                signing_secret=secret,
                origin="events.example.com",
                handshake=True,
            )
            async with sender:
                await sender.send(cesdk.CloudEvent(type="t", source="/s", id=secret[-6:]))
        stranger = WebhookSink(
            source.url,
            bearer_token="s3cret",
            signing_secret="whsec_" + base64.b64encode(b"?").decode(),
        )
        async with stranger:
            try:
                await stranger.send(cesdk.CloudEvent(type="t", source="/s"))
            except cesdk.PermanentDeliveryError as exc:
                refused = str(exc)  # "... answered 401 Unauthorized: ..."
    assert "401 Unauthorized" in refused
    assert len(got.events) == 2


asyncio.run(main())
