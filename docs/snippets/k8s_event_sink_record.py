"""Record CloudEvents as Kubernetes Events; repeats of one become a series."""

import asyncio

import cesdk
from cesdk_kubernetes import KubernetesEventSink
from cesdk_kubernetes.testing import FakeApiServer


async def main(fake: FakeApiServer) -> None:
    sink = KubernetesEventSink(
        reporting_controller="example.com/backup-notifier",
        kubeconfig=fake.kubeconfig_path,  # omit in a pod: the service account is used
    )
    async with sink:
        for _ in range(3):  # the same failure, three times
            await sink.send(
                cesdk.CloudEvent(
                    type="com.example.backup.failed",
                    source="/backup",
                    subject="deployment/db",  # the Event is about Deployment db
                    data={"message": "disk full on /var/lib/db"},
                    extensions={"severity": "error"},
                )
            )

    (event,) = fake.list("events.events.k8s.io", "default")
    print(event["regarding"]["kind"], event["regarding"]["name"])  # Deployment db
    print(event["type"], event["reason"], event["note"])  # Warning Failed disk full on ...
    print(event["series"]["count"])  # 3: one Event, counted, not three


if __name__ == "__main__":
    with FakeApiServer() as fake:
        asyncio.run(main(fake))
