from cesdk_nats import NatsSink

sink = NatsSink("events.{type}", jetstream=True, stream="EVENTS", mode="binary")
same = NatsSink.from_url("nats://127.0.0.1:4222/events.{type}?jetstream=true&stream=EVENTS")
assert (same.subject.template, same.jetstream, same.stream) == ("events.{type}", True, "EVENTS")
