"""KubernetesEventSource: Kubernetes Events as CloudEvents, resumable, each occurrence once."""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Literal

from kubernetes.client import ApiClient, ApiException

from cesdk_kubernetes._client import KubeClient, api_path
from cesdk_kubernetes._listwatch import DELIVER, SKIP, Item, StreamSpec
from cesdk_kubernetes._mapping import MappingError, event_count, event_to_cloudevent
from cesdk_kubernetes._watch_source import WatchSource

__all__ = ["KubernetesEventSource"]

log = logging.getLogger("cesdk_kubernetes")

Api = Literal["auto", "events.k8s.io/v1", "v1"]


def _named(exc: MappingError, metadata: Any) -> MappingError:
    if isinstance(metadata, dict) and metadata.get("name"):
        where = f"{metadata.get('namespace') or ''}/{metadata['name']}".lstrip("/")
        return MappingError(f"Event {where}: {exc}")
    return exc


class EventDecoder:
    """Events -> items, remembering the last count per uid (bounded) to skip heartbeats."""

    def __init__(self, cluster: str, max_tracked: int) -> None:
        self.cluster = cluster
        self.max_tracked = max_tracked
        self._counts: OrderedDict[str, int] = OrderedDict()

    def decode(self, change: str, obj: Any, raw: bytes, *, emit: bool) -> Item:
        """Return a delivery for a new occurrence, a skip for anything else."""
        metadata = obj.get("metadata") if isinstance(obj, dict) else None
        rv = metadata.get("resourceVersion") if isinstance(metadata, dict) else None
        rv = rv if isinstance(rv, str) and rv else None
        meta = {"change": change, "resourceVersion": rv}
        uid = metadata.get("uid") if isinstance(metadata, dict) else None
        if change == "DELETED":
            # An Event's TTL ran out: nothing happened to the regarding object.
            if isinstance(uid, str):
                self._counts.pop(uid, None)
            return Item(SKIP, rv)
        try:
            if not isinstance(obj, dict) or obj.get("kind") != "Event":
                kind = obj.get("kind") if isinstance(obj, dict) else type(obj).__name__
                raise MappingError(f"expected an Event, got kind {kind!r}")
            if not isinstance(uid, str) or not uid:
                raise MappingError("the Event has no metadata.uid")
            count = event_count(obj)
        except MappingError as exc:
            return Item(DELIVER, rv, None, raw, _named(exc, metadata), meta)
        counts = self._counts
        last = counts.get(uid)
        if last is not None and count <= last:
            # client-go's series heartbeat (lastObservedTime only), or a replay we sent.
            return Item(SKIP, rv)
        counts[uid] = count
        counts.move_to_end(uid)
        if len(counts) > self.max_tracked:
            counts.popitem(last=False)
        if not emit:
            return Item(SKIP, rv)
        try:
            event = event_to_cloudevent(obj, cluster=self.cluster, count=count)
        except MappingError as exc:
            return Item(DELIVER, rv, None, raw, _named(exc, metadata), meta)
        return Item(DELIVER, rv, event, raw, None, meta)

    def relisted(self, seen: set[str], rv: str) -> list[Item]:
        """Events that vanished while not watching expired: nothing to report."""
        return []


class KubernetesEventSource(WatchSource):
    """Kubernetes Events as CloudEvents: list, then watch; resumable; each occurrence once.

    Reads events.k8s.io/v1 (falling back to core/v1 where the group is absent) in all
    namespaces or the ones named, lists what exists (paged), then watches from the
    list's resourceVersion with bookmarks. ``410 Gone`` makes it list again; a broken
    connection makes it watch again from the last resourceVersion seen, with backoff.
    With ``checkpoint=`` the resourceVersion up to which every delivery has settled is
    saved (a file, Redis or a ConfigMap), and a restarted source watches from there.

    Each CloudEvent's ``id`` is ``<Event uid>.<occurrence count>``: a replay after a
    re-list or a restart has the same id (a dedup store drops it), a repeat of the
    Event (its count went up) is a new event, and updates that do not change the count
    (client-go's series heartbeat) and deletions (TTL expiry) produce nothing. See the
    docs page for the attribute mapping.

    Args:
        namespaces: a namespace, a list of them, or ``None`` for all namespaces.
        label_selector: a label selector (``app=web,tier!=db``).
        field_selector: a field selector (``type=Warning``, ``regarding.kind=Pod`` or,
            on core/v1, ``involvedObject.kind=Pod``).
        api: ``auto`` (events.k8s.io/v1 if served, else core/v1), or one of them.
        cluster_name: the cluster's name in each event's ``source``.
        checkpoint: where to keep the resume point: ``file:///path``,
            ``redis://host:port/db``, ``configmap://namespace/name``, or an object
            with ``load``/``save``/``close``.
        checkpoint_key: the Redis key of the checkpoint.
        checkpoint_interval: seconds between checkpoint saves (also saved on close).
        leader_election: ``{"lease": "namespace/name", "identity": ...,
            "lease_duration": 15, "renew_deadline": 10, "retry_period": 2}``: only the
            replica holding the Lease watches.
        emit_existing: on a first start (no checkpoint), deliver the Events that
            already exist; ``False`` delivers only what happens from now on.
        kubeconfig: a kubeconfig file (else ``$KUBECONFIG``, ``~/.kube/config``, or
            the in-cluster service account).
        context: the kubeconfig context.
        in_cluster: use the pod's service account.
        api_client: a ready ``kubernetes.client.ApiClient`` (not closed by the source).
        page_size: objects per list page.
        watch_timeout: seconds each watch request lasts before it is renewed.
        max_tracked: Events whose last count is remembered (to skip heartbeats).
        max_buffered_batches: batches read ahead of the pipeline, per namespace.

    Example:
        ::

            source = KubernetesEventSource(field_selector="type=Warning",
                                           checkpoint="file:///var/lib/cesdk/events.json")
    """

    def __init__(
        self,
        *,
        namespaces: str | Sequence[str] | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        api: Api = "auto",
        cluster_name: str = "kubernetes",
        checkpoint: Any = None,
        checkpoint_key: str = "cesdk:kubernetes-events:checkpoint",
        checkpoint_interval: float = 1.0,
        leader_election: Any = None,
        emit_existing: bool = True,
        kubeconfig: str | os.PathLike[str] | None = None,
        context: str | None = None,
        in_cluster: bool | None = None,
        api_client: ApiClient | None = None,
        page_size: int = 500,
        watch_timeout: int = 300,
        max_tracked: int = 100_000,
        max_buffered_batches: int = 16,
    ) -> None:
        if api not in ("auto", "events.k8s.io/v1", "v1"):
            raise ValueError(f"api must be 'auto', 'events.k8s.io/v1' or 'v1', got {api!r}")
        super().__init__(
            kubeconfig=kubeconfig,
            context=context,
            in_cluster=in_cluster,
            api_client=api_client,
            namespaces=namespaces,
            label_selector=label_selector,
            field_selector=field_selector,
            cluster_name=cluster_name,
            checkpoint=checkpoint,
            checkpoint_key=checkpoint_key,
            checkpoint_interval=checkpoint_interval,
            leader_election=leader_election,
            emit_existing=emit_existing,
            page_size=page_size,
            watch_timeout=watch_timeout,
            max_buffered_batches=max_buffered_batches,
        )
        self.api = api
        self.max_tracked = max_tracked
        self.group: str | None = None  # the group in use, once entered: "events.k8s.io" or ""

    def __repr__(self) -> str:
        where = ",".join(self.namespaces) if self.namespaces else "all namespaces"
        return f"KubernetesEventSource({where})"

    async def _group(self, client: KubeClient) -> str:
        if self.api == "v1":
            return ""
        if self.api == "events.k8s.io/v1":
            return "events.k8s.io"
        try:
            await client.arequest("GET", "/apis/events.k8s.io/v1")
        except ApiException as exc:
            if exc.status != 404:
                raise
            log.info("events.k8s.io/v1 is not served; reading core/v1 Events")
            return ""
        return "events.k8s.io"

    async def _specs(self, client: KubeClient) -> list[StreamSpec]:
        self.group = await self._group(client)
        namespaces: list[str | None] = list(self.namespaces) if self.namespaces else [None]
        return [
            StreamSpec(
                key=f"events/{namespace or '*'}",
                path=api_path(self.group, "v1", "events", namespace),
                label_selector=self.label_selector,
                field_selector=self.field_selector,
            )
            for namespace in namespaces
        ]

    def _decoder(self, spec: StreamSpec) -> EventDecoder:
        return EventDecoder(self.cluster_name, self.max_tracked)
