from cesdk_nats import NatsSource

# Core NATS: wildcards and a queue group; at most once (no redelivery after a crash).
source = NatsSource(["k8s.*.warning", "alerts.>"], queue="notifiers")

# JetStream: a durable pull consumer; at least once.
durable = NatsSource(
    "k8s.>",
    jetstream=True,
    stream="K8S",
    durable="notifier",
    batch=64,  # messages per fetch
    ack_wait=30,  # seconds before the server redelivers an unacked message
    max_deliver=10,  # then it stops trying
    ordered=False,  # True: one message at a time, strict stream order
)
assert durable.progress_interval == 10  # in_progress heartbeats: a third of ack_wait
