"""Typed helpers for the documented CloudEvents extensions.

Each extension gets a getter that returns a typed value or ``None`` (and raises
``InvalidEventError`` for a malformed one), and a ``with_*`` setter
that validates and returns a new event; ``validate`` checks them all::

    from datetime import timedelta
    from cesdk import CloudEvent, extensions as ext

    ev = ext.with_traceparent(CloudEvent(type="t", source="/s"), ext.TraceParent.new())
    ev = ext.with_expirytime(ev, timedelta(minutes=5))
    assert ext.validate(ev) == {}

Covered: Distributed Tracing (``traceparent``, ``tracestate``), Partitioning
(``partitionkey``), Sequence (``sequence``), Dataref (``dataref``), Expiry Time
(``expirytime``), Recorded Time (``recordedtime``), Severity (``severitynumber``,
``severitytext``), Correlation (``correlationid``, ``causationid``) and Auth
Context (``authtype``, ``authid``, ``authclaims``).
"""

from cesdk.extensions._authcontext import AUTH_TYPES, AuthContext, authcontext, with_authcontext
from cesdk.extensions._correlation import (
    causationid,
    correlationid,
    with_causationid,
    with_cause,
    with_correlationid,
)
from cesdk.extensions._dataref import dataref, with_dataref
from cesdk.extensions._partitioning import partitionkey, with_partitionkey
from cesdk.extensions._sequence import compare_sequence, sequence, with_sequence
from cesdk.extensions._severity import Severity, SeverityNumber, severity, with_severity
from cesdk.extensions._time import (
    expirytime,
    is_expired,
    recordedtime,
    with_expirytime,
    with_recordedtime,
)
from cesdk.extensions._traceparent import TraceParent
from cesdk.extensions._tracestate import TraceState
from cesdk.extensions._tracing import traceparent, tracestate, with_traceparent
from cesdk.extensions._validate import validate

__all__ = [
    "AUTH_TYPES",
    "AuthContext",
    "Severity",
    "SeverityNumber",
    "TraceParent",
    "TraceState",
    "authcontext",
    "causationid",
    "compare_sequence",
    "correlationid",
    "dataref",
    "expirytime",
    "is_expired",
    "partitionkey",
    "recordedtime",
    "sequence",
    "severity",
    "traceparent",
    "tracestate",
    "validate",
    "with_authcontext",
    "with_causationid",
    "with_cause",
    "with_correlationid",
    "with_dataref",
    "with_expirytime",
    "with_partitionkey",
    "with_recordedtime",
    "with_sequence",
    "with_severity",
    "with_traceparent",
]
