"""The Auth Context extension: authtype, authid and authclaims."""

from __future__ import annotations

import pytest

from cesdk import CloudEvent, InvalidEventError
from cesdk.extensions import AUTH_TYPES, AuthContext, authcontext, validate, with_authcontext


def event(**ext: object) -> CloudEvent:
    return CloudEvent(type="t", source="/s", extensions=ext)


def test_defined_types() -> None:
    """authcontext.md "authtype": the seven values the extension defines."""
    assert {
        "app_user",
        "user",
        "service_account",
        "api_key",
        "system",
        "unauthenticated",
        "unknown",
    } == AUTH_TYPES


def test_round_trip_with_mapping_claims() -> None:
    """authcontext.md "authclaims": a JSON string representing claims of the principal."""
    ev = with_authcontext(event(), "app_user", authid="u-7f3a", authclaims={"role": "admin"})
    assert ev["authclaims"] == '{"role":"admin"}'
    ctx = authcontext(ev)
    assert ctx == AuthContext("app_user", "u-7f3a", '{"role":"admin"}')
    assert ctx is not None
    assert ctx.claims_json() == {"role": "admin"}
    assert validate(ev) == {}


def test_type_only() -> None:
    """authcontext.md "authid" and "authclaims": OPTIONAL."""
    ctx = authcontext(with_authcontext(event(), "system"))
    assert ctx == AuthContext("system")
    assert ctx is not None
    assert ctx.claims_json() is None


def test_custom_type_allowed() -> None:
    """authcontext.md "authtype": implementations MAY define additional values."""
    assert authcontext(with_authcontext(event(), "robot")) == AuthContext("robot")


def test_absent() -> None:
    """authcontext.md "Attributes": the extension is optional on an event."""
    assert authcontext(event()) is None


def test_setter_rejects_every_problem() -> None:
    """authcontext.md "authtype": REQUIRED String; "authclaims": a JSON string."""
    with pytest.raises(InvalidEventError) as exc:
        with_authcontext(event(), "", authclaims="{not json")
    assert exc.value.errors["authtype"] == "must be a non-empty String"
    assert "JSON" in exc.value.errors["authclaims"]


def test_setter_rejects_unencodable_claims() -> None:
    """authcontext.md "authclaims": the claims must be expressible as JSON."""
    with pytest.raises(InvalidEventError) as exc:
        with_authcontext(event(), "user", authclaims={"at": object()})
    assert "cannot be encoded as JSON" in exc.value.errors["authclaims"]


def test_authid_without_authtype() -> None:
    """authcontext.md "authtype": REQUIRED when the extension is used."""
    ev = event(authid="u-1")
    assert "REQUIRED" in validate(ev)["authtype"]
    with pytest.raises(InvalidEventError) as exc:
        authcontext(ev)
    assert "authtype" in exc.value.errors


def test_validate_bad_claims() -> None:
    """authcontext.md "authclaims": Type String holding JSON."""
    assert "JSON" in validate(event(authtype="user", authclaims="nope"))["authclaims"]
