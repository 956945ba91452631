from cesdk_amqp import AmqpSink, AmqpSource

# Consume a durable queue bound to a topic exchange; 32 unacknowledged messages at most.
source = AmqpSource(
    "notifier",
    url="amqp://guest:guest@127.0.0.1:5672/",
    exchange="k8s",
    routing_key="k8s.#",
    prefetch=32,
)

# Publish to an exchange; the routing key is filled from each event's attributes.
sink = AmqpSink("alerts.{type}", url="amqp://guest:guest@127.0.0.1:5672/", exchange="alerts")

# The same, from URLs (what `use: amqp` YAML and scripts can pass around).
same_source = AmqpSource.from_url(
    "amqp://guest:guest@127.0.0.1:5672/?queue=notifier&exchange=k8s&routing_key=k8s.%23"
)
same_sink = AmqpSink.from_url(
    "amqp://guest:guest@127.0.0.1:5672/?exchange=alerts&routing_key=alerts.{type}",
    mode="structured",
)
assert (same_source.queue, same_source.routing_keys) == ("notifier", ["k8s.#"])
assert (same_sink.exchange, same_sink.routing_key.template) == ("alerts", "alerts.{type}")
