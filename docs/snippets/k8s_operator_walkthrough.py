"""A NotificationRequest goes Pending -> Sending -> Sent through a running pipeline."""

import asyncio

import cesdk
from cesdk.testing import CapturingSink, until
from cesdk_kubernetes import NOTIFICATION_REQUEST_CRD, NotificationRequestSource
from cesdk_kubernetes.testing import FakeApiServer

REQUEST = {
    "apiVersion": "cesdk.io/v1alpha1",
    "kind": "NotificationRequest",
    "metadata": {"name": "release-v1-2-3", "namespace": "default"},
    "spec": {
        "route": "slack",
        "event": {
            "type": "com.example.release.done",
            "subject": "release/v1.2.3",
            "data": {"text": "v1.2.3 is out"},
        },
        "ttlSecondsAfterFinished": 3600,
    },
}


async def main(fake: FakeApiServer) -> None:
    slack = CapturingSink()  # stands in for SlackSink(...)
    source = NotificationRequestSource(
        cluster="prod", routes=["slack"], kubeconfig=fake.kubeconfig_path
    )
    pipeline = cesdk.Pipeline(
        source=source,
        routes=[cesdk.Route(slack, name="slack", filter={"exact": {"cesdkroute": "slack"}})],
        dead_letter=cesdk.MemorySink(),
    )
    running = asyncio.create_task(pipeline.run(handle_signals=False))

    fake.create(REQUEST)  # what `kubectl apply -f request.yaml` does

    def phase() -> str:
        obj = fake.get("notificationrequests.cesdk.io", "release-v1-2-3", "default")
        return str((obj.get("status") or {}).get("phase"))

    await until(lambda: phase() == "Sent", timeout=10)
    pipeline.stop()
    await running

    event = slack.events[0]
    print(event.source)  # /k8s/prod/default/notificationrequests/release-v1-2-3
    print(event.data)  # {'text': 'v1.2.3 is out'}
    status = fake.get("notificationrequests.cesdk.io", "release-v1-2-3", "default")["status"]
    print(status["phase"], status["attempts"], status["conditions"][0]["status"])  # Sent 1 True


if __name__ == "__main__":
    with FakeApiServer() as fake:
        fake.add_crd(NOTIFICATION_REQUEST_CRD)  # kubectl apply -f deploy/crds/
        asyncio.run(main(fake))
