"""Kubernetes objects -> CloudEvents: Events (both API schemas) and any resource's changes.

Pure functions over the JSON the API sent (camelCase dicts): no client, no I/O. A
``MappingError`` means the object cannot be turned into an event (missing uid, wrong
kind, a field of the wrong type); the sources make it an undecodable delivery.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final
from urllib.parse import quote

from cesdk import CloudEvent, InvalidEventError

__all__ = [
    "EVENT_TYPE_PREFIX",
    "RESOURCE_TYPE_PREFIX",
    "MappingError",
    "event_count",
    "event_to_cloudevent",
    "resource_to_cloudevent",
]

EVENT_TYPE_PREFIX: Final = "io.k8s.event."
RESOURCE_TYPE_PREFIX: Final = "io.k8s.resource."
_INT32_MAX: Final = 2**31 - 1


class MappingError(ValueError):
    """A Kubernetes object that cannot become a CloudEvent; the message says why."""


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MappingError(f"{key} must be a string, got {type(value).__name__}")
    return value


def _mapping(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(f"{key} must be an object, got {type(value).__name__}")
    return value


def _count(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MappingError(f"{where} must be an integer, got {value!r}")
    return value if value > 0 else None


def event_count(obj: dict[str, Any]) -> int:
    """Return how many times an Event occurred: ``series.count``, else ``count``, else 1."""
    series = _mapping(obj, "series")
    for value, where in (
        (series.get("count"), "series.count"),
        (obj.get("count"), "count"),
        (obj.get("deprecatedCount"), "deprecatedCount"),
    ):
        count = _count(value, where)
        if count is not None:
            return count
    return 1


def _metadata(obj: dict[str, Any]) -> tuple[dict[str, Any], str]:
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        raise MappingError("the object has no metadata")
    uid = metadata.get("uid")
    if not isinstance(uid, str) or not uid:
        raise MappingError("the object has no metadata.uid")
    return metadata, uid


@lru_cache(maxsize=1024)
def _source(cluster: str, namespace: str) -> str:
    base = f"/k8s/{quote(cluster, safe='')}"
    return f"{base}/{quote(namespace, safe='')}" if namespace else base


def _time(*candidates: Any) -> str | None:
    # The first one set; CloudEvent checks that it is RFC 3339 (a bad one: MappingError).
    for value in candidates:
        if isinstance(value, str) and value:
            return value
    return None


def event_to_cloudevent(
    obj: dict[str, Any], *, cluster: str = "kubernetes", count: int | None = None
) -> CloudEvent:
    """Map a core/v1 or events.k8s.io/v1 Event to a CloudEvent (see the mapping table).

    ``id`` is ``<uid>.<occurrence count>``: a replay of the same occurrence has the same
    id, a repeat (the count went up) a new one. ``count`` is ``event_count(obj)`` when
    the caller computed it already.

    Raises:
        MappingError: the object is not an Event or lacks what the mapping needs.
    """
    if obj.get("kind") != "Event":
        raise MappingError(f"expected kind Event, got {obj.get('kind')!r}")
    metadata, uid = _metadata(obj)
    events_v1 = str(obj.get("apiVersion", "")).startswith("events.k8s.io/")
    if events_v1:
        regarding = _mapping(obj, "regarding")
        controller = _text(obj, "reportingController")
        last = _text(obj, "deprecatedLastTimestamp")
    else:
        regarding = _mapping(obj, "involvedObject")
        controller = _text(obj, "reportingComponent") or _text(_mapping(obj, "source"), "component")
        last = _text(obj, "lastTimestamp")
    if count is None:
        count = event_count(obj)
    series = _mapping(obj, "series")
    time = _time(
        series.get("lastObservedTime"),
        obj.get("eventTime"),
        last,
        metadata.get("creationTimestamp"),
    )
    namespace = _text(metadata, "namespace")
    kind = _text(regarding, "kind")
    name = _text(regarding, "name")
    event_type = _text(obj, "type")
    extensions: dict[str, Any] = {
        "k8suid": uid,
        "k8sreason": _text(obj, "reason") or None,
        "k8seventtype": event_type or None,
        "k8skind": kind or None,
        "k8sname": name or None,
        "k8snamespace": _text(regarding, "namespace") or namespace or None,
        "k8scontroller": controller or None,
        "k8scount": min(count, _INT32_MAX),
    }
    try:
        return CloudEvent(
            id=f"{uid}.{count}",
            source=_source(cluster, namespace),
            type=EVENT_TYPE_PREFIX + (event_type.lower() if event_type else "unknown"),
            subject=f"{kind}/{name}" if kind and name else (name or None),
            time=time,
            datacontenttype="application/json",
            data=obj,
            extensions=extensions,
        )
    except InvalidEventError as exc:
        raise MappingError(f"not a valid CloudEvent: {exc}") from exc


def resource_to_cloudevent(
    change: str,
    obj: dict[str, Any],
    *,
    group: str,
    version: str,
    resource: str,
    cluster: str = "kubernetes",
    observed: str | None = None,
) -> CloudEvent:
    """Map one watched change of any resource to a CloudEvent.

    Args:
        change: ``added``, ``modified`` or ``deleted``.
        obj: the object as the API sent it.
        group: the API group (``""`` for core).
        version: the API version.
        resource: the plural resource name.
        cluster: the cluster name in ``source``.
        observed: the time of an added or modified change that the object does not
            record (now, as RFC 3339); ``creationTimestamp`` is used for ``added``.

    Raises:
        MappingError: the object lacks metadata, a uid or a resourceVersion.
    """
    metadata, uid = _metadata(obj)
    rv = metadata.get("resourceVersion")
    if not isinstance(rv, str) or not rv:
        raise MappingError("the object has no metadata.resourceVersion")
    name = _text(metadata, "name")
    namespace = _text(metadata, "namespace")
    kind = _text(obj, "kind")
    if change == "deleted":
        time = _time(metadata.get("deletionTimestamp"), observed)
        event_id = f"{uid}.deleted"
    else:
        created = metadata.get("creationTimestamp") if change == "added" else None
        time = _time(created, observed)
        event_id = f"{uid}.{rv}"
    generation = metadata.get("generation")
    extensions: dict[str, Any] = {
        "k8suid": uid,
        "k8sgroup": group or None,
        "k8sversion": version,
        "k8sresource": resource,
        "k8skind": kind or None,
        "k8sname": name or None,
        "k8snamespace": namespace or None,
        "k8sresourceversion": rv,
        "k8sgeneration": generation
        if isinstance(generation, int) and 0 < generation <= _INT32_MAX
        else None,
    }
    try:
        return CloudEvent(
            id=event_id,
            source=_source(cluster, namespace),
            type=RESOURCE_TYPE_PREFIX + change,
            subject=f"{kind}/{name}" if kind else name or None,
            time=time,
            datacontenttype="application/json",
            data=obj,
            extensions=extensions,
        )
    except InvalidEventError as exc:
        raise MappingError(f"not a valid CloudEvent: {exc}") from exc
