"""The Auth Context extension: ``authtype``, ``authid`` and ``authclaims``.

See authcontext.md "Attributes". The extension is informational: it says who
triggered the occurrence and secures nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cesdk._errors import InvalidEventError
from cesdk._event import CloudEvent
from cesdk.extensions._attributes import check_nonempty_str, check_str, problems, read_str

__all__ = ["AUTH_TYPES", "AuthContext", "authcontext", "check_event", "with_authcontext"]

#: The principal types authcontext.md defines; implementations MAY add others.
AUTH_TYPES: Final = frozenset(
    {"app_user", "user", "service_account", "api_key", "system", "unauthenticated", "unknown"}
)


def _check_claims(value: object) -> str | None:
    problem = check_str(value)
    if problem is not None:
        return problem
    try:
        json.loads(value)  # type: ignore[arg-type]  # checked to be str just above
    except ValueError as exc:
        return f"must be a JSON string of the principal's claims: {exc}"
    return None


_CHECKS: Final = {"authtype": check_nonempty_str, "authid": check_str, "authclaims": _check_claims}


@dataclass(frozen=True, slots=True)
class AuthContext:
    """Who triggered the occurrence.

    Attributes:
        type: the ``authtype``, one of ``AUTH_TYPES`` or an implementation's own.
        id: the ``authid``, an identifier of the principal (prefer an indirect one
            over personal data).
        claims: the ``authclaims``, JSON text; never credentials that would let a
            consumer impersonate the principal.
    """

    type: str
    id: str | None = None
    claims: str | None = None

    def claims_json(self) -> Any:
        """Return the decoded ``claims``, or ``None`` when there are none."""
        return None if self.claims is None else json.loads(self.claims)


def authcontext(event: CloudEvent) -> AuthContext | None:
    """Return the event's auth context, or ``None`` when it has none.

    Raises:
        InvalidEventError: an attribute is malformed, or ``authid``/``authclaims``
            is set without the REQUIRED ``authtype``.
    """
    if all(event.get(name) is None for name in _CHECKS):
        return None
    errors = check_event(event)
    if errors:
        raise InvalidEventError(errors)
    authtype = read_str(event, "authtype", check_nonempty_str)
    assert authtype is not None  # check_event reports a missing one
    return AuthContext(
        authtype,
        read_str(event, "authid", check_str),
        read_str(event, "authclaims", _check_claims),
    )


def with_authcontext(
    event: CloudEvent,
    authtype: str,
    *,
    authid: str | None = None,
    authclaims: str | Mapping[str, Any] | None = None,
) -> CloudEvent:
    """Return a copy of ``event`` with the auth context set; ``None`` removes a field.

    Args:
        event: the event to copy.
        authtype: the principal type, preferably one of ``AUTH_TYPES``.
        authid: an identifier of the principal.
        authclaims: the claims, as JSON text or a mapping to encode as JSON.
            MUST NOT hold credentials sufficient to impersonate the principal.

    Raises:
        InvalidEventError: listing every malformed value.

    Example:
        >>> ev = with_authcontext(CloudEvent(type="t", source="/s"), "service_account",
        ...                       authid="sa-billing", authclaims={"aud": "billing"})
        >>> authcontext(ev).claims_json()
        {'aud': 'billing'}
    """
    if isinstance(authclaims, Mapping):
        try:
            authclaims = json.dumps(authclaims, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise InvalidEventError({"authclaims": f"cannot be encoded as JSON: {exc}"}) from None
    changes = {"authtype": authtype, "authid": authid, "authclaims": authclaims}
    errors = {
        name: problem
        for name, value in changes.items()
        if value is not None and (problem := _CHECKS[name](value)) is not None
    }
    if authtype is None:
        errors["authtype"] = "REQUIRED by the Auth Context extension"
    if errors:
        raise InvalidEventError(errors)
    return event.replace(**changes)


def check_event(event: CloudEvent) -> dict[str, str]:
    """Return the Auth Context problems of an event, by attribute name."""
    found = problems(event, _CHECKS)
    if event.get("authtype") is None and (
        event.get("authid") is not None or event.get("authclaims") is not None
    ):
        found["authtype"] = (
            "REQUIRED by the Auth Context extension when authid or authclaims is set; "
            f"add one such as 'unknown' (defined: {', '.join(sorted(AUTH_TYPES))})"
        )
    return found
