"""Start a fake apiserver, write Events, list them, then watch from the list's version."""

from kubernetes import client, watch

from cesdk_kubernetes.testing import FakeApiServer

with FakeApiServer() as fake, fake.api_client() as api_client:
    core = client.CoreV1Api(api_client)

    fake.inject_events(3, type="Warning", reason="BackOff", involved_name="web-{i}")
    fake.inject_events(2, type="Normal", reason="Pulled")

    warnings = core.list_namespaced_event("default", field_selector="type=Warning")
    print([e.involved_object.name for e in warnings.items])  # ['web-0', 'web-1', 'web-2']

    # Anything written after the list shows up on a watch from its resourceVersion.
    since = warnings.metadata.resource_version
    fake.inject_events(1, type="Warning", reason="Failed", involved_name="db-0")
    stream = watch.Watch().stream(
        core.list_namespaced_event,
        "default",
        resource_version=since,
        field_selector="type=Warning",
        timeout_seconds=1,  # the fake ends the stream after one second
    )
    print([(e["type"], e["object"].reason) for e in stream])  # [('ADDED', 'Failed')]
