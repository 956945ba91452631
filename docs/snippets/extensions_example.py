from datetime import timedelta

import cesdk
from cesdk import extensions as ext

ev = cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/prod", data={"reason": "BackOff"})

# Start a trace, partition by pod, expire five minutes after `time`, mark it as an error.
ev = ext.with_traceparent(ev, ext.TraceParent.new(), tracestate="cesdk=1")
ev = ext.with_partitionkey(ev, "pod/web-1")
ev = ext.with_expirytime(ev, timedelta(minutes=5))
ev = ext.with_severity(ev, ext.SeverityNumber.ERROR, "ERROR")
assert ext.validate(ev) == {}

# Readers get typed values back.
tp = ext.traceparent(ev)
assert tp is not None
assert tp.sampled
assert ext.partitionkey(ev) == "pod/web-1"
assert ev.time is not None
assert ext.expirytime(ev) == ev.time + timedelta(minutes=5)
assert not ext.is_expired(ev, now=ev.time)
assert ext.severity(ev) == ext.Severity(17, "ERROR")

# A downstream span keeps the trace id (and its tracestate) under a new parent id.
child = ext.with_traceparent(ev, tp.child())
child_tp = ext.traceparent(child)
assert child_tp is not None
assert child_tp.trace_id == tp.trace_id
assert child["tracestate"] == "cesdk=1"

# validate() names each broken extension attribute and says why.
bad = ev.replace(traceparent="00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")
assert "lowercase" in ext.validate(bad)["traceparent"]
