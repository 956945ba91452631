"""The HTTP face of the fake apiserver: routing, discovery, CRUD and auth, on aiohttp."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from cesdk_kubernetes.testing._patch import PATCH_TYPES
from cesdk_kubernetes.testing._resources import Registry, ResourceDef
from cesdk_kubernetes.testing._selectors import parse_field_selector, parse_label_selector
from cesdk_kubernetes.testing._status import ApiStatusError, bad_request, status_body
from cesdk_kubernetes.testing._store import Store
from cesdk_kubernetes.testing._stream import WatchStreams

__all__ = ["ApiHandler", "FailureRule", "RecordedRequest", "is_true"]

log = logging.getLogger("cesdk_kubernetes.testing")

_NOT_FOUND = "the server could not find the requested resource"
_TRUE = {"1", "t", "T", "true", "True", "TRUE"}
_HEADERS_OF_INTEREST = ("accept", "content-type", "user-agent", "authorization")


def is_true(value: str | None) -> bool:
    """Parse a query boolean as Go's ``strconv.ParseBool`` does."""
    return value in _TRUE


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake apiserver answered, for assertions.

    Attributes:
        method: ``GET``, ``POST``...
        path: the URL path, such as ``/api/v1/namespaces/default/events``.
        query: the query parameters (the last value of each).
        headers: ``accept``, ``content-type``, ``user-agent`` and ``authorization`` (the token
            replaced by ``***``), lower-case names.
        status: the HTTP status answered (``200`` when a watch stream started).
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int

    @property
    def watch(self) -> bool:
        """Whether this was a watch request."""
        return is_true(self.query.get("watch"))


@dataclass
class FailureRule:
    """Answer the next ``remaining`` matching requests with an error ``Status``."""

    remaining: int
    status: int
    method: str | None = None
    path: str | None = None
    watch: bool | None = None
    retry_after: float | None = None
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, request: web.BaseRequest) -> bool:
        """Whether ``request`` is one this rule fails."""
        if self.method is not None and request.method != self.method.upper():
            return False
        if self.path is not None and self.path not in request.path:
            return False
        return self.watch is None or is_true(request.query.get("watch")) == self.watch


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(body), status=status, content_type="application/json", headers=headers
    )


@dataclass(frozen=True)
class _Target:
    """What a resource URL names."""

    rd: ResourceDef
    namespace: str | None
    name: str | None
    subresource: str | None


class ApiHandler:
    """Answer one HTTP request as a kube-apiserver would."""

    def __init__(
        self,
        *,
        registry: Registry,
        store: Store,
        streams: WatchStreams,
        token: str,
        version: dict[str, str],
        address: Callable[[], str],
    ) -> None:
        self.registry = registry
        self.store = store
        self.streams = streams
        self.token = token
        self.version = version
        self.address = address
        self.requests: list[RecordedRequest] = []
        self._failures: list[FailureRule] = []
        self._failures_lock = threading.Lock()

    def add_failure(self, rule: FailureRule) -> None:
        """Fail the next requests ``rule`` matches (callable from any thread)."""
        with self._failures_lock:
            self._failures.append(rule)

    def record(self, request: web.BaseRequest, status: int) -> None:
        """Log ``request`` with the status it got."""
        headers = {
            name: request.headers[name] for name in _HEADERS_OF_INTEREST if name in request.headers
        }
        if "authorization" in headers:
            scheme = headers["authorization"].partition(" ")[0]
            headers["authorization"] = f"{scheme} ***"
        self.requests.append(
            RecordedRequest(request.method, request.path, dict(request.query), headers, status)
        )

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        """Route, authenticate, and answer; every failure is a ``Status`` body."""
        try:
            response = await self._answer(request)
        except ApiStatusError as exc:
            response = _json(exc.status, exc.code, exc.headers or None)
        except Exception as exc:  # a bug in the fake must still answer like a server
            log.exception("fake apiserver failed on %s %s", request.method, request.path)
            response = _json(status_body(500, f"fake apiserver error: {exc!r}"), 500)
        if not response.prepared:
            self.record(request, response.status)
        return response

    def _authenticate(self, request: web.BaseRequest) -> None:
        if request.path in ("/healthz", "/livez", "/readyz"):
            return
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            raise ApiStatusError(401, "Unauthorized")

    def _injected_failure(self, request: web.BaseRequest) -> None:
        with self._failures_lock:
            rule = next((r for r in self._failures if r.matches(request)), None)
            if rule is None:
                return
            rule.remaining -= 1
            if rule.remaining <= 0:
                self._failures.remove(rule)
        headers = dict(rule.headers)
        if rule.retry_after is not None:
            headers["Retry-After"] = str(int(rule.retry_after))
        raise ApiStatusError(
            rule.status, rule.message or f"injected failure ({rule.status})", headers=headers
        )

    async def _answer(self, request: web.BaseRequest) -> web.StreamResponse:
        self._authenticate(request)
        self._injected_failure(request)
        parts = [part for part in request.path.split("/") if part]
        if parts in (["healthz"], ["livez"], ["readyz"]):
            return web.Response(text="ok")
        if parts == ["version"]:
            return _json(self.version)
        if not parts or parts[0] not in ("api", "apis"):
            raise ApiStatusError(404, _NOT_FOUND)
        discovery = self._discovery(parts)
        if discovery is not None:
            if request.method != "GET":
                raise ApiStatusError(405, f"{request.method} is not allowed on discovery")
            return _json(discovery)
        target = self._target(parts)
        return await self._resource(request, target)

    def _discovery(self, parts: list[str]) -> dict[str, Any] | None:
        if parts == ["api"]:
            return {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": self.address()}
                ],
            }
        if parts == ["apis"]:
            return self.registry.api_group_list()
        if parts[0] == "apis" and len(parts) == 2:
            doc = self.registry.api_group(parts[1])
            if doc is None:
                raise ApiStatusError(404, _NOT_FOUND)
            return doc
        group, version, rest = (
            ("", parts[1], parts[2:]) if parts[0] == "api" else (parts[1], parts[2], parts[3:])
        )
        if not rest:
            doc = self.registry.resource_list(group, version)
            if doc is None:
                raise ApiStatusError(404, _NOT_FOUND)
            return doc
        return None

    def _target(self, parts: list[str]) -> _Target:
        group, version, rest = (
            ("", parts[1], parts[2:]) if parts[0] == "api" else (parts[1], parts[2], parts[3:])
        )
        namespace: str | None = None
        namespace_subresource = group == "" and len(rest) == 3 and rest[2] in ("status", "finalize")
        if rest[0] == "namespaces" and len(rest) >= 3 and not namespace_subresource:
            namespace, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise ApiStatusError(404, _NOT_FOUND)
        rd = self.registry.lookup(group, version, rest[0])
        if rd is None or (namespace is not None and not rd.namespaced):
            raise ApiStatusError(404, _NOT_FOUND)
        name = rest[1] if len(rest) > 1 else None
        if rd.namespaced and namespace is None and name is not None:
            raise ApiStatusError(404, _NOT_FOUND)
        return _Target(rd, namespace, name, rest[2] if len(rest) > 2 else None)

    async def _body(self, request: web.BaseRequest) -> Any:
        raw = await request.read()
        if not raw:
            return None
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise bad_request(f"the request body is not JSON: {exc}") from None

    async def _resource(self, request: web.BaseRequest, target: _Target) -> web.StreamResponse:
        rd, namespace, name = target.rd, target.namespace, target.name
        query = request.query
        if query.get("dryRun"):
            raise bad_request("dryRun is not supported by the fake apiserver")
        method = request.method
        label = parse_label_selector(query.get("labelSelector"))
        field_ = parse_field_selector(query.get("fieldSelector"))
        if name is None:
            if method == "GET" and is_true(query.get("watch")):
                return await self.streams.serve(request, rd, namespace, label, field_, self.record)
            if method == "GET":
                limit = query.get("limit")
                return _json(
                    self.store.list_objects(
                        rd,
                        namespace,
                        label=label,
                        field=field_,
                        limit=int(limit) if limit and limit.isdigit() else None,
                        continue_=query.get("continue") or None,
                        resource_version=query.get("resourceVersion"),
                        resource_version_match=query.get("resourceVersionMatch"),
                    )
                )
            if method == "POST":
                if rd.namespaced and namespace is None:
                    raise ApiStatusError(405, f"POST is not allowed on all-namespaces {rd.plural}")
                return _json(self.store.create(rd, namespace, await self._body(request)), 201)
            if method == "DELETE":
                return _json(self.store.delete_collection(rd, namespace, label=label, field=field_))
            raise ApiStatusError(405, f"{method} is not allowed on a collection")
        sub = target.subresource
        if method == "GET":
            if sub not in (None, "status") or (sub and not rd.status_subresource):
                raise ApiStatusError(404, _NOT_FOUND)
            return _json(self.store.get(rd, namespace, name))
        if method == "PUT":
            return _json(
                self.store.update(rd, namespace, name, await self._body(request), subresource=sub)
            )
        if method == "PATCH":
            content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
            patch_type = PATCH_TYPES.get(content_type)
            if patch_type is None:
                raise ApiStatusError(
                    415,
                    f"the body of the request was in an unknown format - accepted media types "
                    f"include: {', '.join(PATCH_TYPES)} (the fake does not do server-side apply)",
                )
            body = await self._body(request)
            return _json(self.store.patch(rd, namespace, name, body, patch_type, subresource=sub))
        if method == "DELETE":
            if sub is not None:
                raise ApiStatusError(405, "DELETE is not allowed on a subresource")
            options = await self._body(request) or {}
            preconditions = options.get("preconditions") if isinstance(options, dict) else None
            return _json(self.store.delete(rd, namespace, name, preconditions=preconditions))
        raise ApiStatusError(405, f"{method} is not allowed")
