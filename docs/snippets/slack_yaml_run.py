import asyncio
import os
import tempfile
from pathlib import Path

import aiohttp

import cesdk
from cesdk.bindings import http
from cesdk.testing import free_port
from cesdk_slack.testing import SlackFake

PIPELINE = Path(__file__).parent / "slack_http_pipeline.yaml"  # = examples/http_to_slack.yaml


async def main() -> None:
    async with SlackFake(channels=["alerts", "payments"]) as slack:  # a Slack on loopback
        folder = tempfile.mkdtemp()
        environ = {
            **os.environ,
            "PORT": str(free_port()),
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_API_URL": slack.api_url,
            "DEAD_LETTER_FILE": os.path.join(folder, "deadletter.jsonl"),
        }
        pipeline = cesdk.load_pipeline(PIPELINE, environ=environ)
        async with pipeline:
            source = pipeline.source
            await source.wait_ready()
            async with aiohttp.ClientSession() as client:
                for n, channel in enumerate(["alerts", "alerts", "payments"]):
                    event = cesdk.CloudEvent(
                        type="io.k8s.event.warning",
                        source="/k8s/prod",
                        id=f"evt-{n}",
                        subject="pod/checkout-1",
                        data={  # a Kubernetes Event object, as the Kubernetes source sends it
                            "type": "Warning",
                            "reason": "BackOff",
                            "message": "Back-off restarting failed container <!channel>",
                            "count": 4,
                            "involvedObject": {"kind": "Pod", "name": "checkout-1"},
                            "metadata": {"namespace": "shop"},
                        },
                        extensions={"slackchannel": channel},
                    )
                    message = http.to_binary(event)
                    # The HTTP source answers once the event is posted (paced: ~1 s apart).
                    async with client.post(
                        source.url, data=message.body, headers=message.headers
                    ) as response:
                        assert response.status == 204
        first, reply = slack.messages("alerts")
        assert reply.thread_ts == first.ts  # the same object: the same thread
        assert slack.messages("payments")[0].thread_ts is None  # a thread per channel
        assert all(m.special() == [] for m in slack.messages())  # no <!channel> ping
        assert slack.ratelimited == 0


asyncio.run(main())
