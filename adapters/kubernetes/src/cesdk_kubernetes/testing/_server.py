"""``FakeApiServer``: a kube-apiserver stand-in on 127.0.0.1, in a thread of its own."""

from __future__ import annotations

import asyncio
import builtins
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Coroutine, Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from aiohttp import web

from cesdk.testing import free_port, until, wait_until
from cesdk_kubernetes.testing._events import make_core_event, micro_time, now_rfc3339
from cesdk_kubernetes.testing._http import ApiHandler, FailureRule, RecordedRequest
from cesdk_kubernetes.testing._objects import Obj, clone
from cesdk_kubernetes.testing._resources import Registry, ResourceDef
from cesdk_kubernetes.testing._selectors import parse_field_selector, parse_label_selector
from cesdk_kubernetes.testing._store import Store
from cesdk_kubernetes.testing._stream import WatchStreams
from cesdk_kubernetes.testing._tls import ServerTLS

if TYPE_CHECKING:
    from kubernetes.client import ApiClient, Configuration

__all__ = ["FakeApiServer"]

T = TypeVar("T")


class FakeApiServer:
    """A fake kube-apiserver that the real ``kubernetes`` client talks to over HTTPS.

    It serves discovery, list (selectors, paging, resourceVersion semantics), watch
    (bookmarks, ``timeoutSeconds``, ``410`` once history is compacted), create, update,
    patch, status subresources and delete, for core/v1 Events, ConfigMaps, Pods and
    Namespaces, events.k8s.io/v1 Events, coordination.k8s.io/v1 Leases, apps/v1
    Deployments and custom resources. It runs its own event loop in a thread, so sync
    tests, async tests and other processes (through ``kubeconfig_path``) can all use it.

    Args:
        token: the bearer token clients must send; random by default.
        history: how many changes are kept for watches and exact reads from an older
            resourceVersion; older ones answer ``410 Expired``.
        bookmark_interval: seconds between BOOKMARK events on watches that allow them.
        disabled_groups: API groups to leave out (``{"events.k8s.io"}`` makes an old
            cluster): absent from discovery, ``404`` on their paths.
        port: the port to listen on; a free one by default.
        namespaces: namespaces that exist from the start.
        kubernetes_version: the ``gitVersion`` that ``/version`` reports.

    Example:
        >>> with FakeApiServer() as fake:  # doctest: +SKIP
        ...     api = kubernetes.client.CoreV1Api(fake.api_client())
        ...     fake.inject_events(3)
        ...     print(len(api.list_namespaced_event("default").items))
        3
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        history: int = 50_000,
        bookmark_interval: float = 2.0,
        disabled_groups: Iterable[str] = (),
        port: int | None = None,
        namespaces: Iterable[str] = ("default", "kube-system", "kube-public"),
        kubernetes_version: str = "v1.31.0",
    ) -> None:
        self.token = token or secrets.token_urlsafe(24)
        self.port = port or free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self._registry = Registry(frozenset(disabled_groups))
        self._store = Store(self._registry, history)
        self._streams = WatchStreams(self._store, bookmark_interval)
        major, _, rest = kubernetes_version.lstrip("v").partition(".")
        self._handler = ApiHandler(
            registry=self._registry,
            store=self._store,
            streams=self._streams,
            token=self.token,
            version={
                "major": major,
                "minor": rest.partition(".")[0],
                "gitVersion": kubernetes_version,
                "gitCommit": "0000000000000000000000000000000000000000",
                "gitTreeState": "clean",
                "buildDate": "2024-01-01T00:00:00Z",
                "goVersion": "go1.22.0",
                "compiler": "gc",
                "platform": "linux/amd64",
            },
            address=lambda: f"127.0.0.1:{self.port}",
        )
        self._folder = Path(tempfile.mkdtemp(prefix="cesdk-fake-apiserver-"))
        self._tls = ServerTLS(self._folder)
        self.ca_path = self._tls.ca_path
        self.kubeconfig_path = self._folder / "kubeconfig"
        self._write_kubeconfig()
        namespace_rd = self._rd("namespaces")
        self._store.create_many(
            namespace_rd, None, [{"metadata": {"name": name}} for name in namespaces]
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.ServerRunner | None = None

    # Connection details --------------------------------------------------------------

    def _write_kubeconfig(self) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "fake",
                    "cluster": {"server": self.url, "certificate-authority": str(self.ca_path)},
                }
            ],
            "users": [{"name": "fake", "user": {"token": self.token}}],
            "contexts": [
                {
                    "name": "fake",
                    "context": {"cluster": "fake", "user": "fake", "namespace": "default"},
                }
            ],
            "current-context": "fake",
            "preferences": {},
        }
        self.kubeconfig_path.write_text(json.dumps(config, indent=2))  # JSON is YAML

    def configuration(self) -> Configuration:
        """A ``kubernetes.client.Configuration`` loaded from ``kubeconfig_path``."""
        from kubernetes import client, config

        configuration = client.Configuration()
        # The config loader carries no annotations; its behaviour is what the test checks.
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=str(self.kubeconfig_path), client_configuration=configuration
        )
        return configuration

    def api_client(self) -> ApiClient:
        """A ``kubernetes.client.ApiClient`` configured for this server."""
        from kubernetes import client

        return client.ApiClient(self.configuration())

    # Lifecycle -------------------------------------------------------------------------

    @property
    def serving(self) -> bool:
        """Whether the server accepts connections now."""
        return self._runner is not None

    def start(self) -> FakeApiServer:
        """Start the server thread and serve; return ``self``."""
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_forever, name=f"fake-apiserver-{self.port}", daemon=True
        )
        self._thread.start()
        self.start_serving()
        return self

    def close(self) -> None:
        """Stop serving, end the thread and remove the temporary files."""
        if self._thread is None or self._loop is None:
            shutil.rmtree(self._folder, ignore_errors=True)
            return
        if self.serving:
            self.stop_serving()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._thread = None
        self._loop = None
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> FakeApiServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> FakeApiServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.close)

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 15.0) -> T:
        if self._loop is None or self._thread is None:
            coroutine.close()
            raise RuntimeError("the fake apiserver is not started; use start() or a with block")
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError(
                "this FakeApiServer method cannot be called from the server's own thread"
            )
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _serve(self) -> None:
        # Cancelling the handler when a client goes away keeps watch_count true at once.
        server = web.Server(self._handler, access_log=None, handler_cancellation=True)
        runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port, ssl_context=self._tls.context)
        await site.start()
        self._runner = runner

    async def _unserve(self) -> None:
        self._streams.drop_all(abrupt=True)
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def start_serving(self) -> None:
        """Accept connections again on the same port, with the same state."""
        if not self.serving:
            self._call(self._serve())

    def stop_serving(self) -> None:
        """Cut every connection and stop listening; objects and history are kept."""
        if self.serving:
            self._call(self._unserve())

    def restart(self) -> None:
        """Stop serving and serve again on the same port: watches break, state stays."""
        self.stop_serving()
        self.start_serving()

    # Watches and chaos -----------------------------------------------------------------

    def _on_loop(self, action: Any) -> Any:
        async def run() -> Any:
            return action()

        return self._call(run())

    @property
    def watch_count(self) -> int:
        """How many watch streams are open."""
        return len(self._streams.sessions)

    def _watching(self, resource: str | None) -> int:
        sessions = list(self._streams.sessions)
        if resource is None:
            return len(sessions)
        rd = self._rd(resource)
        return sum(1 for s in sessions if s.rd.storage == rd.storage and not s.stop)

    def wait_for_watches(
        self, count: int = 1, *, resource: str | None = None, timeout: float = 10.0
    ) -> None:
        """Block until at least ``count`` watches (on ``resource``, if given) are open.

        ``resource`` is kubectl-style; watches on the same objects count alike (core/v1
        and events.k8s.io/v1 Events are one set of objects).

        Raises:
            TimeoutError: fewer were open after ``timeout`` seconds.
        """
        wait_until(
            lambda: self._watching(resource) >= count, timeout=timeout, what=f"{count} watch(es)"
        )

    async def wait_for_watches_async(
        self, count: int = 1, *, resource: str | None = None, timeout: float = 10.0
    ) -> None:
        """Wait, without blocking the event loop, until ``count`` watches are open.

        Raises:
            TimeoutError: fewer were open after ``timeout`` seconds.
        """
        await until(
            lambda: self._watching(resource) >= count, timeout=timeout, what=f"{count} watch(es)"
        )

    def drop_watches(self, *, abrupt: bool = True) -> int:
        """End every open watch mid-stream; return how many were open.

        Args:
            abrupt: cut the TCP connection (the client sees a broken stream); with
                ``False`` the response ends cleanly, as on a server-side timeout.
        """
        result: int = self._on_loop(lambda: self._streams.drop_all(abrupt=abrupt))
        return result

    def bookmark(self) -> None:
        """Make every watch that allows bookmarks send a BOOKMARK now."""
        self._on_loop(self._streams.bookmark_all)

    def compact(self) -> str:
        """Forget all history: older resourceVersions now answer ``410 Expired``.

        Returns:
            The resourceVersion compacted up to (the current one).
        """
        return str(self._store.compact())

    def fail_next(
        self,
        count: int = 1,
        status: int = 500,
        *,
        method: str | None = None,
        path: str | None = None,
        watch: bool | None = None,
        retry_after: float | None = None,
        message: str = "",
    ) -> None:
        """Answer the next ``count`` matching requests with an error ``Status``.

        Args:
            count: how many requests fail.
            status: the HTTP code (``500``, ``503``, ``429``, ``403``...).
            method: only requests with this method.
            path: only requests whose path contains this text.
            watch: only watch requests (``True``) or only others (``False``).
            retry_after: send ``Retry-After`` with this many seconds.
            message: the ``Status`` message.
        """
        self._handler.add_failure(
            FailureRule(count, status, method, path, watch, retry_after, message)
        )

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request answered so far, oldest first."""
        return list(self._handler.requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._handler.requests.clear()

    # Direct access to the store ("another client") -------------------------------------

    @property
    def resource_version(self) -> str:
        """The current resourceVersion of the whole store."""
        return str(self._store.resource_version)

    def _rd(self, resource: str, version: str | None = None) -> ResourceDef:
        return self._registry.find(resource, version)

    def _rd_of(self, obj: Obj) -> ResourceDef:
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            raise ValueError("the object needs apiVersion and kind to say what resource it is")
        rd = self._registry.by_kind(api_version, kind)
        if rd is None:
            raise LookupError(f"no resource of kind {kind!r} is served at {api_version!r}")
        return rd

    @staticmethod
    def _namespace(rd: ResourceDef, namespace: str | None, obj: Obj | None = None) -> str | None:
        if not rd.namespaced:
            return None
        from_obj = ((obj or {}).get("metadata") or {}).get("namespace")
        return namespace or from_obj or "default"

    def create(self, obj: Obj, *, namespace: str | None = None) -> Obj:
        """Create ``obj`` (its ``apiVersion`` and ``kind`` say where) and return it.

        Raises:
            ApiStatusError: what the API would answer (409 AlreadyExists, 422 Invalid...).
        """
        rd = self._rd_of(obj)
        created = self._store.create(rd, self._namespace(rd, namespace, obj), obj)
        return clone(created)

    def get(
        self, resource: str, name: str, namespace: str | None = None, *, version: str | None = None
    ) -> Obj:
        """Return an object; ``resource`` is kubectl-style (``cm``, ``leases.coordination.k8s.io``).

        Raises:
            ApiStatusError: 404.
        """
        rd = self._rd(resource, version)
        return clone(self._store.get(rd, self._namespace(rd, namespace), name))

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        version: str | None = None,
    ) -> builtins.list[Obj]:
        """Return the matching objects of ``resource`` (all namespaces by default)."""
        rd = self._rd(resource, version)
        listed = self._store.list_objects(
            rd,
            namespace if rd.namespaced else None,
            label=parse_label_selector(label_selector),
            field=parse_field_selector(field_selector),
        )
        return clone(listed["items"])

    def update(self, obj: Obj, *, subresource: str | None = None) -> Obj:
        """Replace ``obj``; a stale ``metadata.resourceVersion`` raises 409 Conflict.

        Raises:
            ApiStatusError: 404, 409, 422.
        """
        rd = self._rd_of(obj)
        name = (obj.get("metadata") or {}).get("name", "")
        updated = self._store.update(
            rd, self._namespace(rd, None, obj), name, obj, subresource=subresource
        )
        return clone(updated)

    def patch(
        self,
        resource: str,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        patch_type: str = "merge",
        subresource: str | None = None,
        version: str | None = None,
    ) -> Obj:
        """Patch an object: ``patch_type`` is ``merge``, ``strategic`` or ``json``.

        Raises:
            ApiStatusError: 404, 409, 422.
        """
        rd = self._rd(resource, version)
        patched = self._store.patch(
            rd, self._namespace(rd, namespace), name, patch, patch_type, subresource=subresource
        )
        return clone(patched)

    def delete(
        self, resource: str, name: str, namespace: str | None = None, *, version: str | None = None
    ) -> Obj:
        """Delete an object and return its last state.

        Raises:
            ApiStatusError: 404.
        """
        rd = self._rd(resource, version)
        return clone(self._store.delete(rd, self._namespace(rd, namespace), name))

    def add_crd(self, manifest: Obj | str | os.PathLike[str]) -> builtins.list[str]:
        """Register CustomResourceDefinitions from a dict or a (multi-document) YAML file.

        Returns:
            The names of the CRDs (``widgets.example.com``).

        Raises:
            ApiStatusError: 422 for a definition the apiserver would refuse.
        """
        if isinstance(manifest, dict):
            documents: builtins.list[Any] = [manifest]
        else:
            with open(manifest, encoding="utf-8") as file:
                documents = [doc for doc in yaml.safe_load_all(file) if doc]
        names = []
        for document in documents:
            names.append(self._store.load_crd(document)["metadata"]["name"])
        return names

    # Events ----------------------------------------------------------------------------

    def inject_events(
        self,
        count: int = 1,
        *,
        namespace: str = "default",
        type: str = "Normal",
        reason: str = "Created",
        message: str = "event {i}",
        involved_kind: str = "Pod",
        involved_name: str = "pod-{i}",
        involved_api_version: str = "v1",
        component: str = "kubelet",
        labels: dict[str, str] | None = None,
    ) -> builtins.list[Obj]:
        """Create ``count`` core/v1 Events at once, as the legacy client-go recorder writes them.

        ``{i}`` in ``message`` and ``involved_name`` is replaced by the event's index. All are
        written under one lock with consecutive resourceVersions, and a watch wakes once.

        Returns:
            The created Events (core/v1).
        """
        rd = self._rd("events")
        stamp = now_rfc3339()
        base = time.time_ns()
        bodies = []
        for i in range(count):
            involved = involved_name.format(i=i)
            bodies.append(
                make_core_event(
                    namespace=namespace,
                    name=f"{involved}.{base + i:x}",
                    involved_kind=involved_kind,
                    involved_name=involved,
                    involved_namespace=namespace,
                    involved_api_version=involved_api_version,
                    type_=type,
                    reason=reason,
                    message=message.format(i=i),
                    component=component,
                    count=1,
                    timestamp=stamp,
                    labels=labels,
                )
            )
        return clone(self._store.create_many(rd, namespace, bodies, copy=False))

    def repeat_event(
        self, name: str, namespace: str = "default", *, times: int = 1, series: bool = False
    ) -> Obj:
        """Record that an Event happened again, as client-go does.

        Args:
            name: the Event's name.
            namespace: its namespace.
            times: how many more occurrences.
            series: bump ``series.count`` and ``series.lastObservedTime`` (events.k8s.io
                style) instead of ``count`` and ``lastTimestamp`` (legacy style).

        Returns:
            The updated Event (core/v1).
        """
        rd = self._rd("events")
        current = self._store.get(rd, namespace, name)
        if series:
            before = int((current.get("series") or {}).get("count") or 1)
            patch: Obj = {"series": {"count": before + times, "lastObservedTime": micro_time()}}
        else:
            patch = {
                "count": int(current.get("count") or 1) + times,
                "lastTimestamp": now_rfc3339(),
            }
        return clone(self._store.patch(rd, namespace, name, patch, "merge"))
