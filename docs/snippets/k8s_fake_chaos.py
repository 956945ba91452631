"""Break things on purpose: compacted history (410), dropped watches, failing requests."""

from kubernetes import client, watch
from kubernetes.client import ApiException

from cesdk_kubernetes.testing import FakeApiServer

with FakeApiServer() as fake, fake.api_client() as api_client:
    core = client.CoreV1Api(api_client)
    fake.inject_events(2)
    checkpoint = core.list_namespaced_event("default").metadata.resource_version
    fake.inject_events(2)

    # History is gone: a watch from the checkpoint gets an ERROR event with a 410 Status,
    # which Watch().stream raises as ApiException(410); the cure is to list again.
    fake.compact()
    try:
        next(
            watch.Watch().stream(core.list_namespaced_event, "default", resource_version=checkpoint)
        )
    except ApiException as exc:
        print("watch:", exc.status)  # watch: 410
    relisted = core.list_namespaced_event("default")
    print(len(relisted.items))  # 4

    # The next two requests for events fail with 500 and a Retry-After header.
    fake.fail_next(2, 500, path="/events", retry_after=1)
    for _ in range(2):
        try:
            core.list_namespaced_event("default")
        except ApiException as exc:
            print(exc.status, exc.headers["Retry-After"])  # 500 1
    print(len(core.list_namespaced_event("default").items))  # 4

    # Every request is logged for assertions.
    print([(r.method, r.status) for r in fake.requests][-3:])
    # [('GET', 500), ('GET', 500), ('GET', 200)]

    # drop_watches() cuts open watch connections; restart() stops and serves again on
    # the same port with the same objects; both are for testing reconnects.
    fake.restart()
    print(len(core.list_namespaced_event("default").items))  # 4
