"""Changes of a custom resource (or any resource) as io.k8s.resource.* CloudEvents."""

import asyncio

from cesdk_kubernetes import KubernetesResourceSource
from cesdk_kubernetes.testing import FakeApiServer

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [{"name": "v1", "served": True, "storage": True}],
    },
}


async def main(fake: FakeApiServer) -> None:
    source = KubernetesResourceSource(
        "widgets", group="example.com", version="v1", kubeconfig=fake.kubeconfig_path
    )
    async with source:
        changes = aiter(source)
        await fake.wait_for_watches_async(1)
        widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}}
        fake.create({**widget, "spec": {"size": 1}})
        fake.patch("widgets.example.com", "w1", {"spec": {"size": 2}})
        fake.delete("widgets.example.com", "w1")
        for _ in range(3):
            delivery = await anext(changes)
            event = delivery.event
            print(event.type, event.subject, event["k8sresourceversion"], event.data.get("spec"))
            await delivery.ack()


if __name__ == "__main__":
    with FakeApiServer() as fake:
        fake.add_crd(CRD)
        asyncio.run(main(fake))
    # io.k8s.resource.added Widget/w1 6 {'size': 1}
    # io.k8s.resource.modified Widget/w1 7 {'size': 2}
    # io.k8s.resource.deleted Widget/w1 8 {'size': 2}
