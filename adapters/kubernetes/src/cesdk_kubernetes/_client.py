"""The low-level client every Kubernetes adapter shares: configuration, JSON calls, streams.

The official ``kubernetes`` client blocks, so this module gives two layers:

- ``load_api_client(kubeconfig=, context=, in_cluster=, api_client=)`` builds a
  ``kubernetes.client.ApiClient`` from a kubeconfig file (path and context), from the
  in-cluster service account, or returns the one passed in. It may run exec credential
  plugins, so call it in a worker thread (``KubeClient.open`` does).
- ``KubeClient`` wraps one ``ApiClient``: ``request`` (blocking) and ``arequest``
  (the same in a worker thread) send one JSON request to a plain API path and return the
  decoded body **as the API sent it** (camelCase, no typed models);
  ``open_stream`` (blocking) opens a streaming GET (a watch) whose urllib3 response the
  caller reads line by line and may cut from any thread with ``close_stream``.

Errors: a non-2xx answer raises ``kubernetes.client.ApiException`` with ``status``,
``reason`` and ``body`` (the ``Status`` JSON text) set, as the typed API methods do;
network failures raise urllib3's exceptions (``urllib3.exceptions.HTTPError``) or
``OSError``; ``NETWORK_ERRORS`` lists them for ``except`` clauses.

Example:
    ::

        client = await KubeClient.open(kubeconfig="~/.kube/config")
        events = await client.arequest("GET", "/api/v1/namespaces/default/events",
                                       query={"limit": 100})
        client.close()
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import orjson
import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client import ApiClient, ApiException

from cesdk import ConfigError

__all__ = ["NETWORK_ERRORS", "KubeClient", "api_path", "load_api_client"]

NETWORK_ERRORS: Final = (urllib3.exceptions.HTTPError, OSError, ConnectionError)
"""Exceptions that mean "the apiserver could not be reached or the connection broke"."""

# (connect, read) seconds for ordinary requests: a list page or a write.
DEFAULT_TIMEOUT: Final = (10.0, 60.0)


def load_api_client(
    *,
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
    in_cluster: bool | None = None,
    api_client: ApiClient | None = None,
) -> ApiClient:
    """Return an ``ApiClient``: the one given, or one loaded from a kubeconfig or the cluster.

    Blocking (it may run exec credential plugins): call it in a worker thread.

    Args:
        kubeconfig: a kubeconfig file; else ``$KUBECONFIG`` or ``~/.kube/config``.
        context: the kubeconfig context; its current context by default.
        in_cluster: ``True`` uses the pod's service account; ``None`` (the default) uses
            it only when no kubeconfig is found and ``KUBERNETES_SERVICE_HOST`` is set.
        api_client: a ready client, returned as it is.

    Raises:
        ConfigError: no configuration found, or the one named could not be loaded.
    """
    if api_client is not None:
        return api_client
    configuration = k8s_client.Configuration()
    try:
        if in_cluster:
            k8s_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]  # untyped library
            return ApiClient(configuration)
        path = _kubeconfig_path(kubeconfig)
        if path is not None:
            k8s_config.load_kube_config(  # type: ignore[no-untyped-call]  # untyped library
                config_file=str(path),
                context=context,
                client_configuration=configuration,
                persist_config=False,
            )
            return ApiClient(configuration)
        if in_cluster is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            k8s_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]  # untyped library
            return ApiClient(configuration)
    except (k8s_config.ConfigException, OSError, ValueError) as exc:
        raise ConfigError(f"could not load the Kubernetes configuration: {exc}") from exc
    raise ConfigError(
        "no Kubernetes configuration found: pass kubeconfig= (a kubeconfig file), set "
        "KUBECONFIG, create ~/.kube/config, or run in a pod (in_cluster=True)"
    )


def _kubeconfig_path(kubeconfig: str | os.PathLike[str] | None) -> Path | None:
    if kubeconfig is not None:
        path = Path(kubeconfig).expanduser()
        if not path.is_file():
            raise ConfigError(f"kubeconfig {str(path)!r} does not exist or is not a file")
        return path
    env = os.environ.get("KUBECONFIG", "")
    for part in env.split(os.pathsep):
        if part and Path(part).expanduser().is_file():
            return Path(part).expanduser()
    default = Path("~/.kube/config").expanduser()
    return default if default.is_file() else None


def api_path(
    group: str, version: str, resource: str, namespace: str | None = None, name: str | None = None
) -> str:
    """Return the REST path of a resource: ``/api/v1/...`` for the core group, else ``/apis/...``.

    Example:
        >>> api_path("events.k8s.io", "v1", "events", "default")
        '/apis/events.k8s.io/v1/namespaces/default/events'
    """
    root = f"/api/{version}" if group in ("", "core") else f"/apis/{group}/{version}"
    middle = f"/namespaces/{namespace}" if namespace else ""
    tail = f"/{name}" if name else ""
    return f"{root}{middle}/{resource}{tail}"


class KubeClient:
    """JSON requests and streams over one ``kubernetes.client.ApiClient``.

    Args:
        api_client: the client whose configuration (host, TLS, token) is used.
        owned: close ``api_client`` in ``close()`` (True when this module built it).
    """

    def __init__(self, api_client: ApiClient, *, owned: bool = False) -> None:
        self.api_client = api_client
        self._owned = owned

    @classmethod
    async def open(
        cls,
        *,
        kubeconfig: str | os.PathLike[str] | None = None,
        context: str | None = None,
        in_cluster: bool | None = None,
        api_client: ApiClient | None = None,
    ) -> KubeClient:
        """Load the configuration in a worker thread; return a client (see ``load_api_client``)."""
        loaded = await asyncio.to_thread(
            load_api_client,
            kubeconfig=kubeconfig,
            context=context,
            in_cluster=in_cluster,
            api_client=api_client,
        )
        return cls(loaded, owned=api_client is None)

    @property
    def host(self) -> str:
        """The apiserver URL."""
        return str(self.api_client.configuration.host)

    def close(self) -> None:
        """Close the ``ApiClient`` if this object built it."""
        if self._owned:
            self.api_client.close()  # type: ignore[no-untyped-call]  # untyped library

    def _send(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any] | None,
        body: Any,
        content_type: str | None,
        timeout: float | tuple[float, float],
    ) -> urllib3.BaseHTTPResponse:
        """Send one request; return the unread urllib3 response (any status)."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
        params = [(k, v) for k, v in (query or {}).items() if v is not None and v != ""]
        client: Any = self.api_client
        if hasattr(client, "param_serialize"):  # kubernetes >= 37
            args = client.param_serialize(
                method,
                path,
                query_params=params,
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            response: urllib3.BaseHTTPResponse = client.call_api(
                *args, _request_timeout=timeout
            ).response
            return response
        # kubernetes < 37: call_api itself raises ApiException for a non-2xx answer.
        return client.call_api(  # type: ignore[no-any-return]  # untyped library
            path,
            method,
            query_params=params,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
            _preload_content=False,
            _return_http_data_only=True,
            _request_timeout=timeout,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> Any:
        """Send one request and return the decoded JSON body (blocking).

        Args:
            method: ``GET``, ``POST``, ``PUT``, ``PATCH`` or ``DELETE``.
            path: the API path, e.g. from ``api_path``.
            query: query parameters; ``None`` and ``""`` values are left out.
            body: a JSON value (dict or list) to send.
            content_type: for ``PATCH``: ``application/merge-patch+json``,
                ``application/json-patch+json`` or ``application/strategic-merge-patch+json``.
            timeout: seconds, or (connect, read) seconds.

        Raises:
            ApiException: the apiserver answered with a non-2xx status.
        """
        response = self.request_raw(
            method, path, query=query, body=body, content_type=content_type, timeout=timeout
        )
        return orjson.loads(response) if response else None

    def request_raw(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> bytes:
        """Like ``request``, but return the body's bytes undecoded (blocking)."""
        response = self._send(method, path, query, body, content_type, timeout)
        try:
            data = response.data
        finally:
            response.release_conn()
        if not 200 <= response.status < 300:
            raise _api_error(response.status, response.reason, data)
        return bytes(data)

    async def arequest(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> Any:
        """``request`` in a worker thread: the event loop never blocks."""
        return await asyncio.to_thread(
            self.request,
            method,
            path,
            query=query,
            body=body,
            content_type=content_type,
            timeout=timeout,
        )

    def open_stream(
        self,
        path: str,
        query: Mapping[str, Any],
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> urllib3.BaseHTTPResponse:
        """Open a streaming GET (a watch) and return the unread urllib3 response (blocking).

        Read it with ``response.stream(None, decode_content=False)``; close it with
        ``close_stream`` from any thread.

        Raises:
            ApiException: the apiserver answered with a non-2xx status.
        """
        response = self._send("GET", path, query, None, None, timeout)
        if not 200 <= response.status < 300:
            try:
                data = response.data
            finally:
                response.release_conn()
            raise _api_error(response.status, response.reason, data)
        return response

    @staticmethod
    def close_stream(response: urllib3.BaseHTTPResponse) -> None:
        """Cut a stream opened by ``open_stream``; safe from any thread, wakes a blocked read."""
        shutdown = getattr(response, "shutdown", None)  # urllib3 >= 2.3
        try:
            if shutdown is not None:
                shutdown()
            response.close()
        except Exception:  # closing a broken socket may fail in any way
            pass


def _api_error(status: int, reason: str | None, data: bytes | None) -> ApiException:
    text = (data or b"").decode("utf-8", "replace")
    return ApiException(status=status, reason=reason, body=text)


def status_reason(error: ApiException) -> str:
    """Return the ``reason`` of the ``Status`` body of an ``ApiException`` (``""`` if none)."""
    try:
        body = orjson.loads(error.body or b"{}")
    except orjson.JSONDecodeError:
        return ""
    return str(body.get("reason") or "") if isinstance(body, dict) else ""
