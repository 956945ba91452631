"""Writes for the sinks and the operator: one request in a worker thread, errors classified.

Requests go through the shared ``KubeClient`` (plain JSON, no typed models). A failure
becomes an :class:`ApiError`, which :func:`delivery_error` turns into cesdk's delivery
errors, naming the verb and resource that failed so that a missing RBAC rule is obvious.
"""

from __future__ import annotations

import json
from typing import Any

from kubernetes.client import ApiException

import cesdk
from cesdk_kubernetes._client import NETWORK_ERRORS, KubeClient

__all__ = [
    "REQUEST_TIMEOUT",
    "ApiError",
    "api_status",
    "call",
    "delivery_error",
]

REQUEST_TIMEOUT = (5.0, 30.0)
"""Seconds to connect and to wait for an answer, for every call that is not a watch."""


class ApiError(Exception):
    """What a failed call answered: ``status`` (0 when no answer came), ``reason``, ``message``."""

    def __init__(self, status: int, reason: str, message: str, headers: dict[str, str]) -> None:
        super().__init__(f"{status} {reason}: {message}" if status else message)
        self.status, self.reason, self.message, self.headers = status, reason, message, headers


def api_status(exc: BaseException) -> ApiError:
    """Describe a client exception: the HTTP status and the apiserver's ``Status`` message."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ApiException):
        status = int(exc.status or 0)
        reason = str(exc.reason or "")
        message = ""
        body = exc.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        if body:
            try:
                message = str(json.loads(body).get("message") or "")
            except (ValueError, AttributeError):
                message = str(body)[:300]
        headers = {str(k).lower(): str(v) for k, v in dict(exc.headers or {}).items()}
        return ApiError(status, reason, message or reason, headers)
    return ApiError(0, type(exc).__name__, str(exc) or type(exc).__name__, {})


async def call(
    client: KubeClient,
    method: str,
    path: str,
    *,
    query: dict[str, Any] | None = None,
    body: Any = None,
    content_type: str | None = None,
) -> Any:
    """Send one request in a worker thread (``KubeClient.arequest``); return the answer's JSON.

    Raises:
        ApiError: the apiserver refused (``status`` set), or no answer came (``status`` 0).
    """
    try:
        return await client.arequest(
            method, path, query=query, body=body, content_type=content_type, timeout=REQUEST_TIMEOUT
        )
    except (ApiException, *NETWORK_ERRORS) as exc:
        raise api_status(exc) from exc


def delivery_error(error: ApiError, *, verb: str, resource: str, namespace: str) -> Exception:
    """The delivery error for a failed call: retryable for 5xx, 429 and the network.

    ``verb`` and ``resource`` (``"events.events.k8s.io"``) name what was attempted, so a
    ``403`` says which RBAC rule is missing.
    """
    status = error.status
    where = f"{verb} {resource} in namespace {namespace!r}"
    if status == 0 or status >= 500 or status in (408, 429):
        retry_after = cesdk.parse_retry_after(error.headers.get("retry-after"))
        what = f"apiserver answered {status} {error.reason}" if status else "apiserver unreachable"
        return cesdk.RetryableDeliveryError(
            f"{where}: {what}: {error.message}", retry_after=retry_after
        )
    if status == 403:
        plural, _, group = resource.partition(".")
        return cesdk.PermanentDeliveryError(
            f"{where}: forbidden: the service account needs RBAC verb {verb!r} on resource "
            f"{plural!r} in API group {group or 'core'!r} (namespace {namespace!r}); "
            f"apiserver said: {error.message}"
        )
    if status == 401:
        return cesdk.PermanentDeliveryError(
            f"{where}: unauthorized: the credentials were refused ({error.message}); check the "
            "kubeconfig or the service account token"
        )
    return cesdk.PermanentDeliveryError(
        f"{where}: apiserver refused it ({status} {error.reason}): {error.message}"
    )
