"""NotificationRequest objects -> CloudEvents, and the status documents written back.

Pure functions over the JSON the API sent: no client, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Final

import cesdk
from cesdk import templates

__all__ = [
    "DEFAULT_TYPE",
    "GROUP",
    "NOTIFICATION_REQUEST_CRD",
    "PLURAL",
    "VERSION",
    "RequestError",
    "finished",
    "identity",
    "now_rfc3339",
    "pending_generation",
    "status_patch",
    "to_event",
]

GROUP: Final = "cesdk.io"
VERSION: Final = "v1alpha1"
PLURAL: Final = "notificationrequests"
DEFAULT_TYPE: Final = "dev.cesdk.notification"
"""The CloudEvent type of a request that gives a template but no ``event.type``."""

NOTIFICATION_REQUEST_CRD: Final = Path(
    str(resources.files("cesdk_kubernetes").joinpath("crds", "notificationrequests.cesdk.io.yaml"))
)
"""The CustomResourceDefinition manifest (YAML), as shipped in the package."""

_DONE = ("Sent", "Failed")
_LAST_ERROR_LIMIT = 2048


class RequestError(ValueError):
    """A NotificationRequest that cannot become a CloudEvent; the message says why."""


def now_rfc3339() -> str:
    """The current time as a ``metav1.Time`` string."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def identity(obj: dict[str, Any]) -> tuple[str, str, str, int]:
    """``(namespace, name, uid, generation)`` of a request (generation 1 when unset)."""
    meta = obj.get("metadata") or {}
    generation = meta.get("generation")
    return (
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
        str(meta.get("uid") or ""),
        generation if isinstance(generation, int) and generation > 0 else 1,
    )


def finished(obj: dict[str, Any]) -> bool:
    """Whether the request is Sent or Failed for its current generation."""
    status = obj.get("status") or {}
    return status.get("phase") in _DONE and status.get("observedGeneration") == identity(obj)[3]


def pending_generation(obj: dict[str, Any]) -> bool:
    """Whether the status already shows this generation as Pending or Sending."""
    status = obj.get("status") or {}
    return status.get("phase") in ("Pending", "Sending") and (
        status.get("observedGeneration") == identity(obj)[3]
    )


def _text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestError(f"{where} must be a string, got {type(value).__name__}")
    return value


def to_event(
    obj: dict[str, Any],
    *,
    cluster: str,
    route_extension: str,
    routes: Sequence[str] | None = None,
) -> cesdk.CloudEvent:
    """The CloudEvent a request asks for.

    Raises:
        RequestError: the spec is incomplete or of the wrong shape.
        cesdk.InvalidEventError: the attributes are not valid CloudEvents attributes.
        cesdk.CESDKError: the template does not compile or render.
    """
    namespace, name, uid, generation = identity(obj)
    if not uid:
        raise RequestError("metadata.uid is missing")
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        raise RequestError("spec is missing or not an object")
    route = _text(spec.get("route"), "spec.route")
    if not route:
        raise RequestError("spec.route is required: the name of the pipeline route to use")
    if routes is not None and route not in routes:
        raise RequestError(f"spec.route {route!r} is not a route of this pipeline: {list(routes)}")
    event = spec.get("event")
    if event is None:
        event = {}
    if not isinstance(event, dict):
        raise RequestError("spec.event must be an object")
    template = _text(spec.get("template"), "spec.template")
    if not event and template is None:
        raise RequestError("spec needs event (type, source, subject, data) or template")
    type_ = _text(event.get("type"), "spec.event.type") or (DEFAULT_TYPE if template else None)
    if not type_:
        raise RequestError("spec.event.type is required")
    extensions = event.get("extensions") or {}
    if not isinstance(extensions, dict):
        raise RequestError("spec.event.extensions must be an object of name: value")
    extensions = {**extensions, route_extension: route}
    attributes: dict[str, Any] = {
        "type": type_,
        "source": _text(event.get("source"), "spec.event.source")
        or f"/k8s/{cluster}/{namespace}/{PLURAL}/{name}",
        "id": f"{uid}.{generation}",
        "subject": _text(event.get("subject"), "spec.event.subject"),
        "extensions": extensions,
    }
    for key in ("datacontenttype", "dataschema"):
        if event.get(key) is not None:
            attributes[key] = _text(event.get(key), f"spec.event.{key}")
    if "data" in event:
        attributes["data"] = event["data"]
    made = cesdk.CloudEvent(**attributes)
    if template is not None:
        parameters = spec.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise RequestError("spec.parameters must be an object")
        compiled = templates.compile(template, name=f"{namespace}/{name} spec.template")
        text = compiled.render(made, **parameters)
        made = made.replace(data=text, datacontenttype="text/plain; charset=utf-8")
    return made


def raw_body(obj: dict[str, Any]) -> bytes:
    """The request as JSON bytes, for the delivery's ``raw`` (and a dead letter)."""
    return json.dumps(obj, separators=(",", ":"), default=str).encode()


def _condition(
    obj: dict[str, Any], status: str, reason: str, message: str, now: str
) -> dict[str, Any]:
    old = next(
        (
            c
            for c in (obj.get("status") or {}).get("conditions") or []
            if isinstance(c, dict) and c.get("type") == "Delivered"
        ),
        None,
    )
    changed = old is None or old.get("status") != status
    return {
        "type": "Delivered",
        "status": status,
        "reason": reason,
        "message": message[:_LAST_ERROR_LIMIT],
        "lastTransitionTime": now if changed else old.get("lastTransitionTime", now),  # type: ignore[union-attr]
        "observedGeneration": identity(obj)[3],
    }


def status_patch(
    obj: dict[str, Any],
    phase: str,
    *,
    attempts: int | None = None,
    last_error: str | None = None,
) -> dict[str, Any]:
    """The merge patch of ``status`` for ``phase`` (Pending, Sending, Sent or Failed)."""
    now = now_rfc3339()
    status: dict[str, Any] = {"phase": phase, "observedGeneration": identity(obj)[3]}
    if attempts is not None:
        status["attempts"] = attempts
    if last_error is not None:
        status["lastError"] = last_error[:_LAST_ERROR_LIMIT]
    if phase == "Sent":
        status["sentAt"] = status["finishedAt"] = now
        condition = _condition(obj, "True", "Sent", "the notification was delivered", now)
    elif phase == "Failed":
        status["finishedAt"] = now
        status["sentAt"] = None
        condition = _condition(obj, "False", "DeliveryFailed", last_error or "failed", now)
    else:
        status["sentAt"] = status["finishedAt"] = None
        if phase == "Pending":
            status["attempts"] = 0
            status["lastError"] = None
        message = "waiting for the pipeline" if phase == "Pending" else "being delivered"
        if last_error:
            message = f"retrying: {last_error}"
        condition = _condition(obj, "Unknown", phase, message, now)
    status["conditions"] = [condition]
    return {"status": status}
