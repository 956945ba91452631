"""Which events.k8s.io/v1 Event a CloudEvent becomes: regarding object, reason, note, type.

The defaults and overrides are the table in docs/adapters/kubernetes-operator.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cesdk
from cesdk import templates

__all__ = [
    "FIELD_LIMIT",
    "NOTE_LIMIT",
    "EventFields",
    "Mapper",
    "camel_reason",
    "truncate_utf8",
]

NOTE_LIMIT = 1024
"""events.k8s.io/v1 validation: ``note`` at most 1 KiB (Go ``len``: bytes)."""
FIELD_LIMIT = 128
"""``reason``, ``action`` and ``reportingInstance`` at most 128 characters."""

_ELLIPSIS = "…"
_WORD = re.compile(r"[A-Za-z0-9]+")

# Lower-case kind names a subject may use ("pod/web-1"), with their Kind and apiVersion.
_KINDS: dict[str, tuple[str, str]] = {
    "pod": ("Pod", "v1"),
    "node": ("Node", "v1"),
    "service": ("Service", "v1"),
    "configmap": ("ConfigMap", "v1"),
    "secret": ("Secret", "v1"),
    "namespace": ("Namespace", "v1"),
    "persistentvolume": ("PersistentVolume", "v1"),
    "persistentvolumeclaim": ("PersistentVolumeClaim", "v1"),
    "serviceaccount": ("ServiceAccount", "v1"),
    "deployment": ("Deployment", "apps/v1"),
    "replicaset": ("ReplicaSet", "apps/v1"),
    "statefulset": ("StatefulSet", "apps/v1"),
    "daemonset": ("DaemonSet", "apps/v1"),
    "job": ("Job", "batch/v1"),
    "cronjob": ("CronJob", "batch/v1"),
    "ingress": ("Ingress", "networking.k8s.io/v1"),
    "horizontalpodautoscaler": ("HorizontalPodAutoscaler", "autoscaling/v2"),
}
_CLUSTER_SCOPED = {"Node", "Namespace", "PersistentVolume", "ClusterRole", "StorageClass"}
_WARNING_SEVERITIES = {"warning", "warn", "error", "err", "critical", "crit", "fatal", "alert"}


@dataclass(frozen=True, slots=True)
class EventFields:
    """The parts of an Event that come from the CloudEvent (the rest the sink sets)."""

    regarding: dict[str, str]
    reason: str
    note: str
    type: str
    action: str

    @property
    def namespace(self) -> str:
        """Where the Event is written: the regarding object's namespace, else ``default``."""
        return self.regarding.get("namespace") or "default"


def truncate_utf8(text: str, limit: int = NOTE_LIMIT) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes on a character boundary, marking the cut."""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len(_ELLIPSIS.encode("utf-8"))
    cut = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    return cut + _ELLIPSIS


def camel_reason(text: str) -> str:
    """A valid reason from any text: its words in UpperCamelCase, at most 128 characters."""
    words = _WORD.findall(text)
    reason = "".join(w[:1].upper() + w[1:] for w in words)
    return reason[:FIELD_LIMIT]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


class Mapper:
    """Turn CloudEvents into :class:`EventFields` with the sink's options (see the sink)."""

    def __init__(
        self,
        *,
        namespace: str,
        kind: str | None,
        api_version: str | None,
        reason: str | None,
        event_type: str | None,
        action: str,
        note_template: str | templates.Template | None,
        extension_prefix: str,
    ) -> None:
        self.namespace, self.kind, self.api_version = namespace, kind, api_version
        self.reason, self.event_type, self.action = reason, event_type, action
        self.template = templates.compile(note_template) if note_template is not None else None
        self.prefix = extension_prefix

    def _ext(self, event: cesdk.CloudEvent, name: str) -> str | None:
        return _text(event.extensions.get(self.prefix + name))

    def regarding(self, event: cesdk.CloudEvent) -> dict[str, str]:
        """The regarding object: from the extensions, else from ``subject`` ``Kind/name``."""
        kind, name = self._ext(event, "kind"), self._ext(event, "name")
        api_version = self._ext(event, "apiversion")
        group, version = self._ext(event, "group"), self._ext(event, "version")
        if api_version is None and version:
            api_version = f"{group}/{version}" if group else version
        if not (kind and name) and event.subject:
            head, sep, tail = event.subject.partition("/")
            if sep and head and tail and "/" not in tail:
                kind, name = kind or head, name or tail
        if not name and self.kind and event.subject and "/" not in event.subject:
            kind, name = self.kind, event.subject
        if not (kind and name):
            p = self.prefix
            raise cesdk.PermanentDeliveryError(
                f"event {event.id!r} names no Kubernetes object: set the extensions {p}kind and "
                f"{p}name (and {p}namespace), or a subject 'Kind/name' such as 'Pod/web-1' "
                f"(subject was {event.subject!r})"
            )
        known = _KINDS.get(kind.lower())
        if known is not None:
            kind = known[0]
            api_version = api_version or known[1]
        elif kind[:1].islower():
            kind = kind[:1].upper() + kind[1:]
        out = {"kind": kind, "name": name}
        if api_version or (self.api_version and kind == self.kind):
            out["apiVersion"] = api_version or self.api_version or ""
        namespace = self._ext(event, "namespace")
        if namespace is None and kind not in _CLUSTER_SCOPED:
            namespace = self.namespace
        if namespace:
            out["namespace"] = namespace
        # k8suid names the object itself for resource events, but the Event for Kubernetes
        # Events (their regarding object is another one): only k8sregardinguid says that.
        uid = self._ext(event, "regardinguid")
        if uid is None and not event.type.startswith("io.k8s.event."):
            uid = self._ext(event, "uid")
        if uid:
            out["uid"] = uid
        return out

    def reason_of(self, event: cesdk.CloudEvent) -> str:
        """The reason: the extension, the configured one, else the type's last segment."""
        given = self._ext(event, "reason") or self.reason
        if given:
            return camel_reason(given) or "Notification"
        last = re.split(r"[.:/]", event.type)[-1]
        return camel_reason(last) or "Notification"

    def note_of(self, event: cesdk.CloudEvent) -> str:
        """The note: the template, text data, a ``message``/``note`` field, or the data as JSON."""
        if self.template is not None:
            note = self.template.render(event)
        else:
            data = event.data
            if data is cesdk.NO_DATA or data is None:
                note = ""
            elif isinstance(data, str):
                note = data
            elif isinstance(data, bytes):
                note = data.decode("utf-8", "replace")
            elif isinstance(data, Mapping) and isinstance(
                data.get("message", data.get("note")), str
            ):
                note = str(data.get("message", data.get("note")))
            else:
                note = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
        return truncate_utf8(note)

    def type_of(self, event: cesdk.CloudEvent) -> str:
        """``Warning`` or ``Normal``: the extension, the configured type, ``severity``, the type."""
        given = self._ext(event, "eventtype") or self.event_type
        if given:
            if given.lower() == "warning":
                return "Warning"
            if given.lower() == "normal":
                return "Normal"
        severity = _text(event.extensions.get("severity"))
        if severity is not None and severity.lower() in _WARNING_SEVERITIES:
            return "Warning"
        lowered = event.type.lower()
        if ".warning" in lowered or lowered.endswith((".failed", ".error")):
            return "Warning"
        return "Normal"

    def fields(self, event: cesdk.CloudEvent) -> EventFields:
        """All the fields for ``event``; raises ``PermanentDeliveryError`` when it cannot map."""
        action = camel_reason(self._ext(event, "action") or self.action) or "Notify"
        return EventFields(
            regarding=self.regarding(event),
            reason=self.reason_of(event),
            note=self.note_of(event),
            type=self.type_of(event),
            action=action,
        )
