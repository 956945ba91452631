"""``Status`` objects, the error body of every failed Kubernetes API call."""

from __future__ import annotations

from typing import Any

from cesdk import CESDKError

__all__ = ["REASONS", "ApiStatusError", "status_body"]

# The reason a real apiserver gives for each code (k8s.io/apimachinery metav1.StatusReason).
REASONS: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def status_body(
    code: int,
    message: str,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a ``v1 Status`` object as a real apiserver sends it for a failure."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason if reason is not None else REASONS.get(code, ""),
        "code": code,
    }
    if details:
        body["details"] = details
    return body


class ApiStatusError(CESDKError):
    """A request the fake apiserver refuses, carrying the ``Status`` it answers with.

    The direct helpers of ``FakeApiServer`` (``create``, ``get``, ``patch``...) raise it where
    the HTTP API answers with an error, so a test sees the same code and reason either way.

    Attributes:
        code: the HTTP status code (404, 409, 410, ...).
        reason: the ``Status`` reason (``NotFound``, ``AlreadyExists``, ``Conflict``...).
        status: the whole ``Status`` object.
        headers: extra response headers (``Retry-After``).
    """

    def __init__(
        self,
        code: int,
        message: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status: dict[str, Any] = status_body(code, message, reason, details)
        self.code = code
        self.reason: str = self.status["reason"]
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(f"{code} {self.reason}: {message}")


def not_found(resource: str, group: str, name: str) -> ApiStatusError:
    """Return the ``404 NotFound`` a real apiserver gives for a missing object."""
    qualified = f"{resource}.{group}" if group else resource
    return ApiStatusError(
        404,
        f'{qualified} "{name}" not found',
        details={"name": name, "group": group, "kind": resource},
    )


def already_exists(resource: str, group: str, name: str) -> ApiStatusError:
    """Return the ``409 AlreadyExists`` answer to a create of an existing name."""
    qualified = f"{resource}.{group}" if group else resource
    return ApiStatusError(
        409,
        f'{qualified} "{name}" already exists',
        reason="AlreadyExists",
        details={"name": name, "group": group, "kind": resource},
    )


def conflict(resource: str, group: str, name: str, why: str) -> ApiStatusError:
    """Return the ``409 Conflict`` answer to a write with a stale precondition."""
    qualified = f"{resource}.{group}" if group else resource
    return ApiStatusError(
        409,
        f'Operation cannot be fulfilled on {qualified} "{name}": {why}',
        details={"name": name, "group": group, "kind": resource},
    )


def expired(message: str) -> ApiStatusError:
    """Return the ``410 Expired`` answer for a compacted resourceVersion."""
    return ApiStatusError(410, message, reason="Expired")


def bad_request(message: str) -> ApiStatusError:
    """Return a ``400 BadRequest``."""
    return ApiStatusError(400, message)


def invalid(kind: str, name: str, field: str, why: str) -> ApiStatusError:
    """Return the ``422 Invalid`` answer to an object that fails validation."""
    return ApiStatusError(
        422,
        f'{kind} "{name}" is invalid: {field}: {why}',
        details={
            "name": name,
            "kind": kind,
            "causes": [{"reason": "FieldValueInvalid", "message": why, "field": field}],
        },
    )
