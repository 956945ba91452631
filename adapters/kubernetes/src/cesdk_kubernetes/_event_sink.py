"""``KubernetesEventSink``: record events.k8s.io/v1 Events the way client-go's recorder does."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
import weakref
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

import cesdk
from cesdk import templates
from cesdk_kubernetes._calls import ApiError, call, delivery_error
from cesdk_kubernetes._client import KubeClient, api_path
from cesdk_kubernetes._event_mapping import FIELD_LIMIT, EventFields, Mapper
from cesdk_kubernetes._spam import SpamFilter

__all__ = ["KubernetesEventSink"]

log = logging.getLogger("cesdk.kubernetes")

_RESOURCE = "events.events.k8s.io"
_MERGE = "application/merge-patch+json"
_QUALIFIED = re.compile(
    r"^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)


def micro_time(at: float | None = None) -> str:
    """A ``metav1.MicroTime`` string (microsecond precision, UTC) for ``at`` or now."""
    moment = datetime.fromtimestamp(time.time() if at is None else at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(slots=True)
class _Recorded:
    """An Event this sink wrote, kept to aggregate its repeats into a series."""

    name: str
    namespace: str
    body: dict[str, Any]
    count: int
    last_seen: float


class KubernetesEventSink:
    """Record each CloudEvent as an events.k8s.io/v1 Event about a Kubernetes object.

    The Event is about the object the CloudEvent names (the extensions ``k8skind``,
    ``k8sname``, ``k8snamespace``, ``k8sapiversion``, ``k8suid``, or a subject
    ``Kind/name``), in that object's namespace. ``reason`` comes from ``k8sreason`` or the
    last segment of the type, in UpperCamelCase; ``note`` from ``note_template``, text
    data, a ``message`` field or the data as JSON, cut to the API's 1 KiB limit; ``type``
    from ``k8seventtype``, ``severity`` or the type.

    Like client-go's ``events.k8s.io`` recorder, a repeat of an Event recorded in the
    last ``aggregate_window`` seconds (same object, reason, note, type and action) is not a
    new Event: the first repeat gives the Event a ``series`` with ``count`` 2, later ones
    raise ``series.count`` and ``lastObservedTime`` (merge PATCH). The cache of recent
    Events lives in this process: after a restart the first repeat creates a new Event.

    Like client-go's spam filter, each reporting instance and object has a token bucket
    (``spam_burst`` Events at once, then one per ``spam_interval`` seconds). Events over
    it are dropped with a warning and counted in ``stats["spam_dropped"]``, not raised:
    the pipeline counts them delivered, as client-go drops them silently. With
    ``on_spam="dead-letter"`` they raise ``PermanentDeliveryError`` and are dead-lettered.

    Errors: a 5xx, 429 or no answer raises ``RetryableDeliveryError``; a ``409`` on create
    is re-read and retried once; a ``404`` on a series PATCH (the Event expired) creates
    the Event again; ``403`` raises ``PermanentDeliveryError`` naming the RBAC verb and
    resource missing; ``422`` and other 4xx raise it with the apiserver's message.

    Args:
        reporting_controller: who records the Events (``reportingController``), a
            qualified name such as ``cesdk.io/notifier``.
        reporting_instance: which instance (``reportingInstance``); the host name.
        namespace: the namespace of objects named by a subject ``Kind/name`` (or by
            ``k8sname`` without ``k8snamespace``).
        kind: the kind of the object when the subject is a bare name.
        api_version: the ``apiVersion`` that goes with ``kind``.
        reason: a fixed reason, used when the event has no ``k8sreason``.
        event_type: ``Normal`` or ``Warning``, used when the event has no ``k8seventtype``.
        action: what was done (``action``), used when the event has no ``k8saction``.
        note_template: a template (``cesdk.templates``) rendering the note.
        aggregate_window: seconds within which a repeat joins the Event's series
            (client-go: 6 minutes).
        spam_burst: Events per object at once.
        spam_interval: seconds per further Event per object (client-go: 5 minutes).
        on_spam: ``"drop"`` (log and count) or ``"dead-letter"``.
        extension_prefix: the prefix of the extension names read (``k8s``).
        kubeconfig: a kubeconfig file; ``$KUBECONFIG``, ``~/.kube/config`` or the
            in-cluster service account by default.
        context: the kubeconfig context.
        api_client: a ``kubernetes.client.ApiClient`` to use (not closed by the sink).

    Example:
        ::

            sink = KubernetesEventSink(reporting_controller="example.com/notifier")
            await sink.send(cesdk.CloudEvent(type="com.example.backup.failed",
                source="/backup", subject="Deployment/db", data="disk full"))
    """

    def __init__(
        self,
        *,
        reporting_controller: str = "cesdk.io/notifier",
        reporting_instance: str | None = None,
        namespace: str = "default",
        kind: str | None = None,
        api_version: str | None = None,
        reason: str | None = None,
        event_type: Literal["Normal", "Warning"] | None = None,
        action: str = "Notify",
        note_template: str | templates.Template | None = None,
        aggregate_window: float = 360.0,
        spam_burst: int = 25,
        spam_interval: float = 300.0,
        on_spam: Literal["drop", "dead-letter"] = "drop",
        extension_prefix: str = "k8s",
        kubeconfig: str | None = None,
        context: str | None = None,
        api_client: Any = None,
    ) -> None:
        if not _QUALIFIED.match(reporting_controller) or len(reporting_controller) > 316:
            raise cesdk.ConfigError(
                f"reporting_controller {reporting_controller!r} is not a qualified name: use "
                "'<dns-domain>/<name>', such as 'cesdk.io/notifier'"
            )
        if on_spam not in ("drop", "dead-letter"):
            raise cesdk.ConfigError(f"on_spam must be 'drop' or 'dead-letter', not {on_spam!r}")
        if event_type not in (None, "Normal", "Warning"):
            raise cesdk.ConfigError(f"event_type must be Normal or Warning, not {event_type!r}")
        self.reporting_controller = reporting_controller
        instance = reporting_instance or socket.gethostname() or "cesdk"
        self.reporting_instance = instance[:FIELD_LIMIT]
        self.aggregate_window = aggregate_window
        self.on_spam = on_spam
        self.mapper = Mapper(
            namespace=namespace,
            kind=kind,
            api_version=api_version,
            reason=reason,
            event_type=event_type,
            action=action,
            note_template=note_template,
            extension_prefix=extension_prefix,
        )
        self.spam = SpamFilter(burst=spam_burst, interval=spam_interval)
        self.stats: Counter[str] = Counter()
        """Counts: ``created``, ``series_updated``, ``recreated``, ``spam_dropped``."""
        self._kubeconfig, self._context, self._given_client = kubeconfig, context, api_client
        self._client: KubeClient | None = None
        self._recent: OrderedDict[str, _Recorded] = OrderedDict()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def __aenter__(self) -> KubernetesEventSink:
        self._client = await KubeClient.open(
            kubeconfig=self._kubeconfig, context=self._context, api_client=self._given_client
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.close)

    # -- sending ------------------------------------------------------------------------

    async def send(self, event: cesdk.CloudEvent) -> None:
        """Record ``event`` as an Event, or as a repeat in its series."""
        if self._client is None:
            raise cesdk.CESDKError("KubernetesEventSink is not open: use 'async with'")
        fields = self.mapper.fields(event)
        spam_key = self._spam_key(fields)
        if not self.spam.allow(spam_key):
            self._spammed(event, fields)
            return
        key = self._key(fields)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        try:
            async with lock:
                recorded = self._recorded(key)
                if recorded is None:
                    self._remember(key, await self._create(fields))
                else:
                    await self._repeat(recorded)
        except cesdk.RetryableDeliveryError:
            self.spam.refund(spam_key)  # the event comes again: charge it once
            raise

    def _spam_key(self, fields: EventFields) -> str:
        r = fields.regarding
        parts = (
            self.reporting_controller,
            self.reporting_instance,
            *(r.get(k) for k in ("kind", "namespace", "name", "uid", "apiVersion")),
            fields.type,
        )
        return "\x1f".join(p or "" for p in parts)

    def _key(self, fields: EventFields) -> str:
        regarding = sorted(fields.regarding.items())
        return json.dumps([regarding, fields.reason, fields.note, fields.type, fields.action])

    def _spammed(self, event: cesdk.CloudEvent, fields: EventFields) -> None:
        r = fields.regarding
        what = f"{r['kind']}/{r['name']}" + (f" in {r['namespace']}" if "namespace" in r else "")
        message = (
            f"event {event.id!r} about {what} is over the spam limit ({self.spam.burst} Events, "
            f"then one per {self.spam.interval:g}s per object)"
        )
        self.stats["spam_dropped"] += 1
        if self.on_spam == "dead-letter":
            raise cesdk.PermanentDeliveryError(message)
        log.warning("%s: dropped", message)

    def _recorded(self, key: str) -> _Recorded | None:
        recorded = self._recent.get(key)
        if recorded is None:
            return None
        if time.monotonic() - recorded.last_seen > self.aggregate_window:
            del self._recent[key]  # the series is finished: a repeat starts a new Event
            return None
        self._recent.move_to_end(key)
        return recorded

    def _remember(self, key: str, recorded: _Recorded) -> None:
        self._recent[key] = recorded
        while len(self._recent) > 4096:
            self._recent.popitem(last=False)

    def _body(self, fields: EventFields) -> dict[str, Any]:
        name = f"{fields.regarding['name']}.{time.time_ns():x}"[-253:].lstrip(".-")
        return {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": fields.namespace},
            "eventTime": micro_time(),
            "reportingController": self.reporting_controller,
            "reportingInstance": self.reporting_instance,
            "action": fields.action,
            "reason": fields.reason,
            "regarding": dict(fields.regarding),
            "note": fields.note,
            "type": fields.type,
        }

    async def _create(self, fields: EventFields) -> _Recorded:
        body = self._body(fields)
        namespace = fields.namespace
        try:
            created = await self._post(body)
        except ApiError as exc:
            if exc.status != 409:
                raise delivery_error(
                    exc, verb="create", resource=_RESOURCE, namespace=namespace
                ) from None
            # The name exists: our own create whose answer was lost, or a clash.
            existing = await self._read(body["metadata"]["name"], namespace)
            if existing is not None and self._same(existing, body):
                created = existing
            else:
                body["metadata"]["name"] += "x"
                try:
                    created = await self._post(body)
                except ApiError as again:
                    raise delivery_error(
                        again, verb="create", resource=_RESOURCE, namespace=namespace
                    ) from None
        self.stats["created"] += 1
        series = created.get("series") or {}
        return _Recorded(
            name=created["metadata"]["name"],
            namespace=namespace,
            body=body,
            count=int(series.get("count") or 1),
            last_seen=time.monotonic(),
        )

    async def _repeat(self, recorded: _Recorded) -> None:
        count = recorded.count + 1
        series = {"count": count, "lastObservedTime": micro_time()}
        try:
            await self._patch(recorded, series)
        except ApiError as exc:
            if exc.status == 404:
                await self._recreate(recorded, series)
            elif exc.status == 409:
                existing = await self._read(recorded.name, recorded.namespace)
                if existing is None:
                    await self._recreate(recorded, series)
                else:
                    now = int((existing.get("series") or {}).get("count") or 1)
                    count = series["count"] = max(count, now + 1)
                    try:
                        await self._patch(recorded, series)
                    except ApiError as again:
                        raise delivery_error(
                            again, verb="patch", resource=_RESOURCE, namespace=recorded.namespace
                        ) from None
            else:
                raise delivery_error(
                    exc, verb="patch", resource=_RESOURCE, namespace=recorded.namespace
                ) from None
        else:
            self.stats["series_updated"] += 1
        recorded.count = count
        recorded.last_seen = time.monotonic()

    async def _recreate(self, recorded: _Recorded, series: dict[str, Any]) -> None:
        """The Event expired (apiserver TTL): create it again with its series, as client-go."""
        body = {**recorded.body, "series": series}
        try:
            created = await self._post(body)
        except ApiError as exc:
            raise delivery_error(
                exc, verb="create", resource=_RESOURCE, namespace=recorded.namespace
            ) from None
        recorded.name = created["metadata"]["name"]
        self.stats["recreated"] += 1

    @staticmethod
    def _same(existing: dict[str, Any], body: dict[str, Any]) -> bool:
        keys = ("regarding", "reason", "note", "type", "action", "reportingController")
        return all(existing.get(k) == body.get(k) for k in keys)

    def _open(self) -> KubeClient:
        if self._client is None:
            raise cesdk.CESDKError("KubernetesEventSink is not open: use 'async with'")
        return self._client

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        path = api_path("events.k8s.io", "v1", "events", body["metadata"]["namespace"])
        created: dict[str, Any] = await call(self._open(), "POST", path, body=body)
        return created

    async def _patch(self, recorded: _Recorded, series: dict[str, Any]) -> None:
        path = api_path("events.k8s.io", "v1", "events", recorded.namespace, recorded.name)
        await call(self._open(), "PATCH", path, body={"series": series}, content_type=_MERGE)

    async def _read(self, name: str, namespace: str) -> dict[str, Any] | None:
        path = api_path("events.k8s.io", "v1", "events", namespace, name)
        try:
            found: dict[str, Any] = await call(self._open(), "GET", path)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise delivery_error(exc, verb="get", resource=_RESOURCE, namespace=namespace) from None
        return found
