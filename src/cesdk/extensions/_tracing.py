"""The Distributed Tracing extension: ``traceparent`` and ``tracestate``.

See distributed-tracing.md "Attributes" and "Using the Distributed Tracing Extension".
"""

from __future__ import annotations

from cesdk._errors import InvalidEventError
from cesdk._event import CloudEvent
from cesdk.extensions._traceparent import TraceParent, check_traceparent
from cesdk.extensions._tracestate import TraceState, check_tracestate

__all__ = ["check_event", "traceparent", "tracestate", "with_traceparent"]


def traceparent(event: CloudEvent) -> TraceParent | None:
    """Return the event's ``traceparent``, or ``None`` when it has none.

    W3C Trace Context tells a tracer to ignore an invalid traceparent and restart the
    trace; catch ``InvalidEventError`` to do so.

    Raises:
        InvalidEventError: the attribute is set but is not a valid traceparent.

    Example:
        >>> ev = with_traceparent(CloudEvent(type="t", source="/s"), TraceParent.new())
        >>> traceparent(ev).sampled
        True
    """
    value = event.get("traceparent")
    if value is None:
        return None
    return TraceParent.parse(value)


def tracestate(event: CloudEvent) -> TraceState | None:
    """Return the event's ``tracestate``, or ``None`` when it has none.

    Raises:
        InvalidEventError: the attribute is set but is not a valid tracestate.
    """
    value = event.get("tracestate")
    if value is None:
        return None
    return TraceState.parse(value)


def _same_trace(event: CloudEvent, new: str) -> bool:
    old = event.get("traceparent")
    return (
        isinstance(old, str)
        and check_traceparent(old) is None
        and old[3:35] == new[3:35]  # both checked: the trace-id sits at 3:35 in every version
    )


def with_traceparent(
    event: CloudEvent,
    traceparent: TraceParent | str,
    tracestate: TraceState | str | None = None,
) -> CloudEvent:
    """Return a copy of ``event`` carrying ``traceparent`` (and ``tracestate``).

    The extension carries the trace of the *start* of the transmission, not of each
    hop (distributed-tracing.md "Using the Distributed Tracing Extension"): set it
    where the event is produced, or where a middleware finds none.

    Args:
        event: the event to copy.
        traceparent: a ``TraceParent``, or traceparent text (kept as given,
            so a pass-through keeps a higher version intact).
        tracestate: the tracestate to store with it. ``None`` keeps the event's
            tracestate when the trace id is unchanged and drops it when the trace
            restarts, since it then describes another trace (W3C "Restart trace").
            An empty tracestate removes the attribute: W3C asks senders to avoid
            empty ones.

    Raises:
        InvalidEventError: either value is malformed; ``.errors`` names it.

    Example:
        >>> ev = CloudEvent(type="t", source="/s")
        >>> tp = TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        >>> ev = with_traceparent(ev, tp, "rojo=00f067aa0ba902b7")
        >>> ev["traceparent"], ev["tracestate"]
        ('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'rojo=00f067aa0ba902b7')
    """
    errors: dict[str, str] = {}
    if isinstance(traceparent, TraceParent):
        text = str(traceparent)
    else:
        text = traceparent
        problem = check_traceparent(text)
        if problem is not None:
            errors["traceparent"] = problem
    state: str | None
    if tracestate is None:
        state = event.get("tracestate") if not errors and _same_trace(event, text) else None
    elif isinstance(tracestate, TraceState):
        state = str(tracestate)
    else:
        problem = check_tracestate(tracestate)
        if problem is not None:
            errors["tracestate"] = problem
        state = str(TraceState.parse(tracestate)) if problem is None else None
    if errors:
        raise InvalidEventError(errors)
    return event.replace(traceparent=text, tracestate=state or None)


def check_event(event: CloudEvent) -> dict[str, str]:
    """Return the Distributed Tracing problems of an event, by attribute name."""
    found: dict[str, str] = {}
    parent = event.get("traceparent")
    state = event.get("tracestate")
    if parent is not None:
        problem = check_traceparent(parent)
        if problem is not None:
            found["traceparent"] = problem
    elif state is not None:
        found["traceparent"] = (
            "REQUIRED by the Distributed Tracing extension when tracestate is set; "
            "add a traceparent or remove the tracestate"
        )
    if state is not None:
        problem = check_tracestate(state)
        if problem is not None:
            found["tracestate"] = problem
    return found
