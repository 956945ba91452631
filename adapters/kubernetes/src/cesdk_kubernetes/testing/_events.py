"""Events: core/v1 and events.k8s.io/v1 are two schemas of the same stored objects.

The fake keeps every Event in its core/v1 form and converts on the way in and out, with the
field mapping of the apiserver (``pkg/apis/events/v1/conversion.go``):

=========================  =================================
core/v1                    events.k8s.io/v1
=========================  =================================
involvedObject             regarding
message                    note
reportingComponent         reportingController
source                     deprecatedSource
firstTimestamp             deprecatedFirstTimestamp
lastTimestamp              deprecatedLastTimestamp
count                      deprecatedCount
=========================  =================================

``series``, ``eventTime``, ``reason``, ``type``, ``action``, ``related`` and
``reportingInstance`` keep their names. Unset times are ``null`` in both schemas, as Go's
zero ``metav1.Time`` is.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "core_to_events",
    "events_to_core",
    "make_core_event",
    "micro_time",
    "normalize_core_event",
    "now_rfc3339",
    "validate_events_v1",
]

NOTE_LIMIT = 1024  # events.k8s.io/v1 validation: note "can have at most 1024 characters"
_FIELD_LIMIT = 128

# core/v1 name -> events.k8s.io/v1 name, for the fields whose name changes.
_RENAMED = {
    "involvedObject": "regarding",
    "message": "note",
    "reportingComponent": "reportingController",
    "source": "deprecatedSource",
    "firstTimestamp": "deprecatedFirstTimestamp",
    "lastTimestamp": "deprecatedLastTimestamp",
    "count": "deprecatedCount",
}
_BACK = {new: old for old, new in _RENAMED.items()}
_SHARED = ("metadata", "series", "eventTime", "reason", "type", "action", "related")


def now_rfc3339() -> str:
    """The current time as a ``metav1.Time`` string (seconds precision)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_time(at: float | None = None) -> str:
    """A ``metav1.MicroTime`` string (microseconds precision) for ``at`` or now."""
    moment = datetime.fromtimestamp(time.time() if at is None else at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalize_core_event(event: dict[str, Any]) -> dict[str, Any]:
    """Fill in what a real apiserver shows for unset core/v1 Event fields (in place)."""
    for key in ("eventTime", "firstTimestamp", "lastTimestamp"):
        event.setdefault(key, None)
    event.setdefault("involvedObject", {})
    event.setdefault("source", {})
    event.setdefault("reportingComponent", "")
    event.setdefault("reportingInstance", "")
    if not event.get("count"):
        event.pop("count", None)
    return event


def core_to_events(event: dict[str, Any]) -> dict[str, Any]:
    """Return the events.k8s.io/v1 view of a stored core/v1 Event."""
    out: dict[str, Any] = {"apiVersion": "events.k8s.io/v1", "kind": "Event"}
    for key in _SHARED:
        if key in event:
            out[key] = event[key]
    out.setdefault("eventTime", None)
    for old, new in _RENAMED.items():
        value = event.get(old)
        if value not in (None, "", 0, {}):
            out[new] = value
    out.setdefault("regarding", {})
    out.setdefault("deprecatedSource", {})
    out.setdefault("deprecatedFirstTimestamp", None)
    out.setdefault("deprecatedLastTimestamp", None)
    if event.get("reportingInstance"):
        out["reportingInstance"] = event["reportingInstance"]
    return out


def events_to_core(event: dict[str, Any]) -> dict[str, Any]:
    """Return the stored core/v1 form of an events.k8s.io/v1 Event."""
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "Event"}
    for key in (*_SHARED, "reportingInstance"):
        if key in event:
            out[key] = event[key]
    for new, old in _BACK.items():
        if new in event:
            out[old] = event[new]
    return normalize_core_event(out)


def validate_events_v1(event: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (field, problem) for each events.k8s.io/v1 validation rule ``event`` breaks.

    These are the apiserver's rules for Events written through events.k8s.io/v1
    (``ValidateEventCreate``): what ``EventRecorder``-style sinks must get right.
    """
    problems: list[tuple[str, str]] = []
    if not event.get("eventTime"):
        problems.append(("eventTime", "Required value"))
    if event.get("type") not in ("Normal", "Warning"):
        problems.append(("type", f"has invalid value: {event.get('type') or ''}"))
    for key in ("reportingController", "reportingInstance", "action", "reason"):
        value = event.get(key) or ""
        if not value:
            problems.append((key, "Required value"))
        elif len(value) > _FIELD_LIMIT:
            problems.append((key, f"can have at most {_FIELD_LIMIT} characters"))
    note = event.get("note") or ""
    if len(note) > NOTE_LIMIT:
        problems.append(("note", f"can have at most {NOTE_LIMIT} characters"))
    series = event.get("series")
    if series is not None:
        if not isinstance(series, dict) or int(series.get("count") or 0) < 2:
            problems.append(("series.count", "should be at least 2"))
        elif not series.get("lastObservedTime"):
            problems.append(("series.lastObservedTime", "Required value"))
    for key in ("deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount"):
        if event.get(key):
            problems.append((key, "needs to be unset"))
    source = event.get("deprecatedSource") or {}
    if source.get("component") or source.get("host"):
        problems.append(("deprecatedSource", "needs to be unset"))
    return problems


def make_core_event(
    *,
    namespace: str,
    name: str,
    involved_kind: str,
    involved_name: str,
    involved_namespace: str | None,
    involved_api_version: str,
    type_: str,
    reason: str,
    message: str,
    component: str,
    count: int,
    timestamp: str,
    uid: str = "",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Return a core/v1 Event as the legacy client-go recorder writes it."""
    involved: dict[str, Any] = {"kind": involved_kind, "name": involved_name}
    if involved_api_version:
        involved["apiVersion"] = involved_api_version
    if involved_namespace:
        involved["namespace"] = involved_namespace
    if uid:
        involved["uid"] = uid
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = dict(labels)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": metadata,
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "source": {"component": component} if component else {},
        "firstTimestamp": timestamp,
        "lastTimestamp": timestamp,
        "count": count,
        "type": type_,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": "",
    }
