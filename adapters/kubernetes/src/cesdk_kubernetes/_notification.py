"""``NotificationRequestSource``: the NotificationRequest operator as a cesdk source."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import urllib3

import cesdk
from cesdk_kubernetes._calls import ApiError, api_status, call
from cesdk_kubernetes._client import KubeClient, api_path
from cesdk_kubernetes._notification_event import (
    GROUP,
    PLURAL,
    VERSION,
    finished,
    identity,
    pending_generation,
    raw_body,
    status_patch,
    to_event,
)

__all__ = ["NotificationRequestSource"]

log = logging.getLogger("cesdk.kubernetes")

_MERGE = "application/merge-patch+json"
_STATUS_TRIES = 3


def _lines(response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    buffer = b""
    for chunk in response.stream(None, decode_content=False):
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if line.strip():
                yield line
    if buffer.strip():
        yield buffer


def _finished_at(obj: dict[str, Any]) -> float | None:
    status = obj.get("status") or {}
    stamp = status.get("finishedAt") or status.get("sentAt")
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(2.0)


class NotificationRequestSource:
    """Turn NotificationRequest objects (``notificationrequests.cesdk.io``) into CloudEvents.

    The source lists and watches the requests (all namespaces, or ``namespaces``), and
    yields one delivery for each request that is not Sent or Failed for its current
    ``metadata.generation``: its CloudEvent has the id ``<uid>.<generation>``, the source
    ``/k8s/<cluster>/<namespace>/notificationrequests/<name>`` (unless ``spec.event``
    names one) and the extension ``cesdkroute`` set to ``spec.route``, so a route filter
    ``{exact: {cesdkroute: slack}}`` picks it. It writes the progress to the request's
    status subresource (merge PATCH): ``Pending`` when seen, ``Sending`` when the pipeline
    takes it, ``attempts`` and ``lastError`` on each retry, then ``Sent`` (with
    ``sentAt`` and the condition ``Delivered=True``) or, when the pipeline dead-letters it,
    ``Failed`` with the reason (``Delivered=False``). A request whose spec cannot become a
    CloudEvent is an undecodable delivery: dead-lettered, then ``Failed`` with the reason.

    Resuming is re-listing: after a restart, requests still Pending or Sending are sent
    again (at least once; a dedup store keyed on the id drops a repeat), Sent and Failed
    ones are not. With ``ttl_cleanup``, a finished request with
    ``spec.ttlSecondsAfterFinished`` is deleted that many seconds after it finished.

    Args:
        namespaces: the namespaces to watch; all of them by default.
        cluster: the cluster's name in the CloudEvent source.
        route_extension: the extension that carries ``spec.route``.
        routes: the route names this pipeline has: a request naming another one fails
            at once (``Failed``, "not a route of this pipeline") instead of being
            filtered out by every route and counted Sent.
        label_selector: only requests with these labels.
        ttl_cleanup: delete finished requests after their ``ttlSecondsAfterFinished``.
        watch_timeout: seconds a watch request lasts before it is renewed.
        kubeconfig: a kubeconfig file; ``$KUBECONFIG``, ``~/.kube/config`` or the
            in-cluster service account by default.
        context: the kubeconfig context.
        api_client: a ``kubernetes.client.ApiClient`` to use (not closed by the source).
    """

    def __init__(
        self,
        *,
        namespaces: str | Sequence[str] | None = None,
        cluster: str = "cluster",
        route_extension: str = "cesdkroute",
        routes: Sequence[str] | None = None,
        label_selector: str | None = None,
        ttl_cleanup: bool = True,
        watch_timeout: int = 300,
        kubeconfig: str | None = None,
        context: str | None = None,
        api_client: Any = None,
    ) -> None:
        if isinstance(namespaces, str):
            namespaces = [n.strip() for n in namespaces.split(",") if n.strip()]
        self.namespaces: list[str | None] = list(namespaces) if namespaces else [None]
        self.cluster = cluster
        self.route_extension = route_extension
        self.routes = list(routes) if routes is not None else None
        self.label_selector = label_selector
        self.ttl_cleanup = ttl_cleanup
        self.watch_timeout = watch_timeout
        self._kubeconfig, self._context, self._given_client = kubeconfig, context, api_client
        self._client: KubeClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._incoming: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._ready: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._streams: set[urllib3.BaseHTTPResponse] = set()
        self._streams_lock = threading.Lock()
        self._dispatcher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._inflight: set[tuple[str, int]] = set()
        self._done: dict[str, int] = {}
        self.synced = asyncio.Event()
        """Set once every namespace was listed (tests and readiness wait on it)."""
        self._listed = 0

    # -- opening and closing ----------------------------------------------------------

    async def __aenter__(self) -> NotificationRequestSource:
        self._client = await KubeClient.open(
            kubeconfig=self._kubeconfig, context=self._context, api_client=self._given_client
        )
        self._loop = asyncio.get_running_loop()
        self._stop.clear()
        self._incoming, self._ready = asyncio.Queue(), asyncio.Queue()
        self.synced = asyncio.Event()
        self._listed = 0
        self._dispatcher = asyncio.create_task(self._dispatch())
        for namespace in self.namespaces:
            thread = threading.Thread(
                target=self._watch,
                args=(self._client, namespace),
                name=f"cesdk-notificationrequests-{namespace or 'all'}",
                daemon=True,
            )
            self._threads.append(thread)
            thread.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        with self._streams_lock:
            streams = list(self._streams)
        for stream in streams:
            KubeClient.close_stream(stream)
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        tasks = [*self._tasks, *([self._dispatcher] if self._dispatcher else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        threads, self._threads = self._threads, []
        await asyncio.to_thread(_join, threads)
        client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- the watch (worker threads) ---------------------------------------------------

    def _post(self, kind: str, obj: dict[str, Any]) -> None:
        loop = self._loop
        if loop is None or self._stop.is_set():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed while we were reading
            loop.call_soon_threadsafe(self._incoming.put_nowait, (kind, obj))

    def _list(self, client: KubeClient, path: str) -> str:
        query: dict[str, Any] = {"limit": 500, "labelSelector": self.label_selector}
        while True:
            page = client.request("GET", path, query=query)
            for item in page.get("items") or []:
                self._post("ADDED", item)
            meta = page.get("metadata") or {}
            if not meta.get("continue"):
                return str(meta.get("resourceVersion") or "")
            query["continue"] = meta["continue"]

    def _watch(self, client: KubeClient, namespace: str | None) -> None:
        path = api_path(GROUP, VERSION, PLURAL, namespace)
        version: str | None = None
        pause = 0.2
        while not self._stop.is_set():
            try:
                if version is None:
                    version = self._list(client, path)
                    self._post("SYNCED", {})
                query = {
                    "watch": "true",
                    "resourceVersion": version,
                    "allowWatchBookmarks": "true",
                    "timeoutSeconds": self.watch_timeout,
                    "labelSelector": self.label_selector,
                }
                stream = client.open_stream(path, query, timeout=(10.0, self.watch_timeout + 30.0))
                with self._streams_lock:
                    self._streams.add(stream)
                try:
                    for line in _lines(stream):
                        if self._stop.is_set():
                            return
                        item = json.loads(line)
                        kind, obj = item.get("type"), item.get("object") or {}
                        if kind == "ERROR":
                            if obj.get("code") == 410:
                                version = None  # compacted: list again
                                break
                            raise ApiError(
                                int(obj.get("code") or 0), "", str(obj.get("message")), {}
                            )
                        version = (obj.get("metadata") or {}).get("resourceVersion") or version
                        if kind in ("ADDED", "MODIFIED", "DELETED"):
                            self._post(kind, obj)
                finally:
                    with self._streams_lock:
                        self._streams.discard(stream)
                    KubeClient.close_stream(stream)
                pause = 0.2
            except Exception as exc:
                if self._stop.is_set():
                    return
                error = api_status(exc)
                if error.status == 410:
                    version = None
                    continue
                log.warning(
                    "NotificationRequest watch (%s) failed: %s; retrying in %.1fs",
                    namespace or "all namespaces",
                    error,
                    pause,
                )
                self._stop.wait(pause)
                pause = min(pause * 2, 30.0)

    # -- deciding (event loop) --------------------------------------------------------

    async def _dispatch(self) -> None:
        while True:
            kind, obj = await self._incoming.get()
            try:
                await self._consider(kind, obj)
            except Exception:  # one odd object must not stop the operator
                log.exception("NotificationRequest %s: could not handle it", identity(obj)[:2])

    async def _consider(self, kind: str, obj: dict[str, Any]) -> None:
        if kind == "SYNCED":
            self._listed += 1
            if self._listed >= len(self.namespaces):
                self.synced.set()
            return
        _, _, uid, generation = identity(obj)
        if kind == "DELETED":
            self._done.pop(uid, None)
            timer = self._timers.pop(uid, None)
            if timer is not None:
                timer.cancel()
            return
        if finished(obj):
            self._done[uid] = max(self._done.get(uid, 0), generation)
            self._schedule_cleanup(obj)
            return
        if (uid, generation) in self._inflight or self._done.get(uid, 0) >= generation:
            return  # our own status writes coming back, or a late echo of them
        self._inflight.add((uid, generation))
        if not pending_generation(obj):
            await self._write_status(obj, status_patch(obj, "Pending"))
        self._ready.put_nowait(obj)

    def __aiter__(self) -> AsyncIterator[cesdk.Delivery]:
        return self._deliveries()

    async def _deliveries(self) -> AsyncIterator[cesdk.Delivery]:
        while True:
            obj = await self._ready.get()
            yield await self._pick(obj)

    async def _pick(self, obj: dict[str, Any]) -> cesdk.Delivery:
        namespace, name, uid, generation = identity(obj)
        before = int((obj.get("status") or {}).get("attempts") or 0)
        if not pending_generation(obj):
            before = 0
        tries = {"retries": 0}
        raw = cesdk.RawMessage(
            body=raw_body(obj),
            headers=(("content-type", "application/json"),),
            metadata={"namespace": namespace, "name": name, "uid": uid, "generation": generation},
        )
        event: cesdk.CloudEvent | None = None
        error: Exception | None = None
        try:
            event = to_event(
                obj, cluster=self.cluster, route_extension=self.route_extension, routes=self.routes
            )
        except (ValueError, cesdk.CESDKError) as exc:
            error = cesdk.DecodeError(f"NotificationRequest {namespace}/{name}: {exc}")

        async def on_retry(attempt: int, reason: str, delay: float) -> None:
            tries["retries"] = max(tries["retries"], attempt)
            patch = status_patch(obj, "Sending", attempts=before + attempt, last_error=reason)
            await self._write_status(obj, patch, tries=1)

        async def on_ack() -> None:
            attempts = before + tries["retries"] + (1 if event is not None else 0)
            if delivery.dead_letters or event is None:
                reasons = "; ".join(delivery.dead_letters)
                reason = str(error) if error is not None else reasons or "dead-lettered"
                patch = status_patch(obj, "Failed", attempts=attempts, last_error=reason)
            else:
                patch = status_patch(obj, "Sent", attempts=attempts)
            done = await self._write_status(obj, patch)
            self._inflight.discard((uid, generation))
            self._done[uid] = max(self._done.get(uid, 0), generation)
            if done is not None:
                self._schedule_cleanup(done)

        async def on_nack(delay: float | None) -> None:
            if self._stop.is_set() or self._loop is None:
                return  # re-listed by the next process: the status still says Sending
            self._loop.call_later(delay or 1.0, self._redeliver, obj)

        delivery = cesdk.Delivery(
            event,
            raw,
            error,
            on_ack=on_ack,
            on_nack=on_nack,
            on_retry=on_retry,
            key=f"{namespace}/{name}",
        )
        await self._write_status(obj, status_patch(obj, "Sending", attempts=before))
        return delivery

    def _redeliver(self, obj: dict[str, Any]) -> None:
        if not self._stop.is_set():
            self._ready.put_nowait(obj)

    # -- writing ----------------------------------------------------------------------

    async def _write_status(
        self, obj: dict[str, Any], patch: dict[str, Any], *, tries: int = _STATUS_TRIES
    ) -> dict[str, Any] | None:
        namespace, name, _, _ = identity(obj)
        if self._client is None:
            return None
        path = api_path(GROUP, VERSION, PLURAL, namespace, name) + "/status"
        for attempt in range(tries):
            try:
                written: dict[str, Any] = await call(
                    self._client, "PATCH", path, body=patch, content_type=_MERGE
                )
                return written
            except ApiError as exc:
                if exc.status == 404:
                    log.info(
                        "NotificationRequest %s/%s is gone; status not written", namespace, name
                    )
                    return None
                if attempt + 1 == tries:
                    log.warning(
                        "NotificationRequest %s/%s: could not write status %s: %s%s",
                        namespace,
                        name,
                        patch["status"].get("phase"),
                        exc,
                        " (the service account needs 'patch' on notificationrequests/status)"
                        if exc.status == 403
                        else "",
                    )
                    return None
                await asyncio.sleep(0.2 * (attempt + 1))
        return None

    def _schedule_cleanup(self, obj: dict[str, Any]) -> None:
        ttl = (obj.get("spec") or {}).get("ttlSecondsAfterFinished")
        if not self.ttl_cleanup or not isinstance(ttl, int) or ttl < 0 or self._loop is None:
            return
        _, _, uid, _ = identity(obj)
        at = _finished_at(obj)
        if uid in self._timers or at is None:
            return
        delay = max(0.0, at + ttl - datetime.now(UTC).timestamp())
        self._timers[uid] = self._loop.call_later(delay, self._spawn_delete, obj)

    def _spawn_delete(self, obj: dict[str, Any]) -> None:
        task = asyncio.ensure_future(self._delete(obj))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _delete(self, obj: dict[str, Any]) -> None:
        namespace, name, uid, _ = identity(obj)
        self._timers.pop(uid, None)
        if self._client is None:
            return
        path = api_path(GROUP, VERSION, PLURAL, namespace, name)
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": uid}}
        try:
            await call(self._client, "DELETE", path, body=body)
        except ApiError as exc:
            if exc.status not in (404, 409):  # gone already, or a new object of that name
                log.warning(
                    "NotificationRequest %s/%s: TTL delete failed: %s", namespace, name, exc
                )
        else:
            log.info(
                "NotificationRequest %s/%s deleted: its TTL after finishing ran out",
                namespace,
                name,
            )
