"""OpenTelemetry tracing continues the trace in ``traceparent`` (issue 3, "Metrics").

distributed-tracing.md: the extension carries the W3C Trace Context of the event.
"""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import cesdk
from cesdk.extensions import TraceParent
from cesdk.testing import CapturingSink

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


async def test_spans_continue_the_incoming_trace_and_pass_it_on() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    event = cesdk.CloudEvent(type="t", source="/s", id="1", extensions={"traceparent": INCOMING})
    sink = CapturingSink()
    pipeline = cesdk.Pipeline(
        cesdk.MemorySource([event]),
        routes=[cesdk.Route(sink, name="hook")],
        dead_letter=CapturingSink(),
        tracing=cesdk.Tracing(provider),
    )
    await pipeline.run()

    spans = {span.name: span for span in exporter.get_finished_spans()}
    process, send = spans["pipeline process"], spans["hook send"]
    assert format(process.context.trace_id, "032x") == TRACE_ID  # continued, not a new trace
    assert format(process.parent.span_id, "016x") == "00f067aa0ba902b7"
    assert send.parent.span_id == process.context.span_id
    assert send.attributes["cloudevents.event_id"] == "1"

    (sent,) = sink.events
    passed_on = TraceParent.parse(sent["traceparent"])
    assert passed_on.trace_id == TRACE_ID
    assert passed_on.parent_id == format(send.context.span_id, "016x")  # the next hop's parent


async def test_without_tracing_events_are_sent_unchanged() -> None:
    event = cesdk.CloudEvent(type="t", source="/s", extensions={"traceparent": INCOMING})
    sink = CapturingSink()
    await cesdk.Pipeline(
        cesdk.MemorySource([event]), routes=[cesdk.Route(sink)], dead_letter=CapturingSink()
    ).run()
    assert sink.events[0]["traceparent"] == INCOMING
