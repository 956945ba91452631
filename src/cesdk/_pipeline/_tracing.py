"""OpenTelemetry tracing: one span per delivery and per send, ``traceparent`` carried on.

The W3C Trace Context travels in the Distributed Tracing extension (``traceparent``,
``tracestate``): the pipeline continues the trace an incoming event carries, and the
event it sends carries the send span's context, so the next hop continues it too.
Install the extra: ``pip install "cesdk[tracing]"``.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any

from cesdk._errors import MissingDependencyError
from cesdk._event import CloudEvent

__all__ = ["Tracing"]


class Tracing:
    """Spans for a pipeline, from an OpenTelemetry tracer provider.

    Args:
        tracer_provider: the provider to use; the global one when omitted.
    """

    def __init__(self, tracer_provider: Any = None) -> None:
        try:
            trace = importlib.import_module("opentelemetry.trace")
            tracecontext = importlib.import_module("opentelemetry.trace.propagation.tracecontext")
        except ImportError:
            raise MissingDependencyError(
                'tracing needs OpenTelemetry; install the extra: pip install "cesdk[tracing]"'
            ) from None
        self._trace = trace
        self._propagator = tracecontext.TraceContextTextMapPropagator()
        self._tracer = trace.get_tracer("cesdk", tracer_provider=tracer_provider)

    def _carrier(self, event: CloudEvent) -> dict[str, str]:
        carrier = {}
        for name in ("traceparent", "tracestate"):
            value = event.get(name)
            if isinstance(value, str):
                carrier[name] = value
        return carrier

    @contextlib.contextmanager
    def span(self, name: str, event: CloudEvent, *, child: bool = False) -> Iterator[Any]:
        """Run a span for ``event``: a child of the current span, or of the event's trace."""
        context = None if child else self._propagator.extract(self._carrier(event))
        attributes = {
            "cloudevents.event_id": event.id,
            "cloudevents.event_source": event.source,
            "cloudevents.event_type": event.type,
        }
        with self._tracer.start_as_current_span(
            name, context=context, attributes=attributes
        ) as span:
            yield span

    def inject(self, event: CloudEvent) -> CloudEvent:
        """Return ``event`` carrying the current span's context as ``traceparent``."""
        carrier: dict[str, str] = {}
        self._propagator.inject(carrier)
        if not carrier.get("traceparent"):
            return event
        return event.replace(
            traceparent=carrier["traceparent"], tracestate=carrier.get("tracestate") or None
        )
