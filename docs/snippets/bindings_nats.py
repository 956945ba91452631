import cesdk
from cesdk.bindings import nats

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    id="1",
    time=None,
    data="Back-off restarting failed container",
    datacontenttype="text/plain",
)

# Binary mode: every attribute is a ce- header, datacontenttype included.
msg = nats.to_binary(ev)
assert msg.headers == {
    "ce-specversion": "1.0",
    "ce-id": "1",
    "ce-source": "/k8s/prod",
    "ce-type": "io.k8s.event.warning",
    "ce-datacontenttype": "text/plain",
}
assert msg.data == b"Back-off restarting failed container"
assert nats.from_nats(msg) == ev

# A sender that followed the HTTP habit and sent Content-Type is understood too.
http_habit = nats.NatsMessage(
    {
        "ce-specversion": "1.0",
        "ce-id": "1",
        "ce-source": "/k8s/prod",
        "ce-type": "io.k8s.event.warning",
        "Content-Type": "text/plain",
    },
    b"Back-off restarting failed container",
)
assert nats.from_nats(http_habit) == ev

# Structured mode: Content-Type application/cloudevents+json and the JSON format.
structured = nats.to_structured(ev)
assert nats.from_nats(structured) == ev

# A message without headers (servers before NATS 2.2) is read as structured.
assert nats.from_nats(nats.NatsMessage({}, structured.data)) == ev
