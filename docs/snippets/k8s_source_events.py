"""Kubernetes Warning Events as CloudEvents, resumable from a checkpoint file.

Runs against the fake apiserver so that it works anywhere; on a cluster, drop the fake
and pass kubeconfig= (or nothing: $KUBECONFIG, ~/.kube/config or the pod's account).
"""

import asyncio
import tempfile
from pathlib import Path

import cesdk
from cesdk.testing import CapturingSink, until
from cesdk_kubernetes import KubernetesEventSource
from cesdk_kubernetes.testing import FakeApiServer


async def main(fake: FakeApiServer, checkpoint: Path) -> None:
    source = KubernetesEventSource(
        kubeconfig=fake.kubeconfig_path,
        field_selector="type=Warning",  # only Warnings
        cluster_name="prod-eu",  # in each event's source: /k8s/prod-eu/<namespace>
        checkpoint=f"file://{checkpoint}",  # resume point, saved after settlement
    )
    sink = CapturingSink()
    pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(sink)], dead_letter=CapturingSink())
    async with pipeline:  # runs in the background until the block ends
        await until(lambda: len(sink.events) == 2)
    for event in sink.events:
        print(event.type, event.source, event.subject, event["k8sreason"], event.id)
    print(checkpoint.read_text())


if __name__ == "__main__":
    with FakeApiServer() as fake, tempfile.TemporaryDirectory() as folder:
        fake.inject_events(1, type="Normal", reason="Scheduled")
        fake.inject_events(2, type="Warning", reason="BackOff", involved_name="web-{i}")
        asyncio.run(main(fake, Path(folder) / "events-checkpoint.json"))
    # io.k8s.event.warning /k8s/prod-eu/default Pod/web-0 BackOff 6f1c...-....1
    # io.k8s.event.warning /k8s/prod-eu/default Pod/web-1 BackOff 0b9e...-....1
    # {"version":1,"streams":{"events/*":"7"}}
