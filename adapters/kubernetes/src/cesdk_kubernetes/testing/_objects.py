"""Object rules shared by every write: views, names, generation, server-set metadata."""

from __future__ import annotations

import random
import re
import uuid
from typing import Any, TypeVar

import orjson

from cesdk_kubernetes.testing._events import core_to_events, events_to_core, normalize_core_event
from cesdk_kubernetes.testing._resources import ResourceDef
from cesdk_kubernetes.testing._status import bad_request, invalid

__all__ = [
    "Obj",
    "check_name",
    "clone",
    "generate_name",
    "generation_content",
    "is_events_v1",
    "keep_server_metadata",
    "new_metadata",
    "prepare_body",
    "to_storage",
    "to_view",
]

Obj = dict[str, Any]
T = TypeVar("T")

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# The alphabet of generateName suffixes (k8s.io/apimachinery/pkg/util/rand: no vowels).
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def clone(obj: T) -> T:
    """A deep copy of a JSON value (faster than ``copy.deepcopy``)."""
    copied: T = orjson.loads(orjson.dumps(obj))
    return copied


def is_events_v1(rd: ResourceDef) -> bool:
    """Whether ``rd`` is events.k8s.io/v1 Events, stored as core/v1 Events."""
    return rd.group == "events.k8s.io" and rd.plural == "events"


def to_view(obj: Obj, rd: ResourceDef) -> Obj:
    """The stored ``obj`` as a client of ``rd``'s group/version sees it (may be ``obj``)."""
    if is_events_v1(rd):
        return core_to_events(obj)
    if obj.get("apiVersion") != rd.api_version:
        return {**obj, "apiVersion": rd.api_version}
    return obj


def to_storage(obj: Obj, rd: ResourceDef) -> Obj:
    """``obj``, written through ``rd``'s group/version, in its stored form."""
    if is_events_v1(rd):
        return events_to_core(obj)
    if rd.group == "" and rd.plural == "events":
        return normalize_core_event(obj)
    if obj.get("apiVersion") != rd.storage_version:
        return {**obj, "apiVersion": rd.storage_version}
    return obj


def generation_content(obj: Obj, rd: ResourceDef) -> Any:
    """What must change for ``metadata.generation`` to go up."""
    if rd.generation == "never":
        return None
    if rd.generation == "spec":
        return obj.get("spec")
    skipped = {"metadata", "apiVersion", "kind"}
    if rd.status_subresource:
        skipped.add("status")
    return {key: value for key, value in obj.items() if key not in skipped}


def generate_name(prefix: str) -> str:
    """``prefix`` plus five random characters, as the apiserver completes ``generateName``."""
    return prefix + "".join(random.choices(_SUFFIX_ALPHABET, k=5))


def check_name(rd: ResourceDef, name: str) -> None:
    """Raise 422 Invalid unless ``name`` is a valid object name for ``rd``.

    Raises:
        ApiStatusError: 422, the name is not a DNS subdomain (a DNS label for namespaces).
    """
    pattern, limit = (
        (_LABEL, 63) if rd.plural == "namespaces" and not rd.group else (_SUBDOMAIN, 253)
    )
    if len(name) > limit or not pattern.match(name):
        raise invalid(
            rd.kind,
            name,
            "metadata.name",
            f'Invalid value: "{name}": a lowercase RFC 1123 '
            f"{'label' if limit == 63 else 'subdomain'} must consist of lower case alphanumeric "
            "characters, '-' or '.', and must start and end with an alphanumeric character",
        )


def prepare_body(
    rd: ResourceDef, namespace: str | None, body: Any, name: str | None = None, *, copy: bool = True
) -> Obj:
    """Check a written object against its URL and return a private copy of it.

    Fills in ``apiVersion``, ``kind`` and ``metadata.namespace`` when absent, as the
    apiserver's decoder does from the URL.

    Raises:
        ApiStatusError: 400 for a body that contradicts the URL or is not an object.
    """
    if not isinstance(body, dict):
        raise bad_request(f"the body of a {rd.kind} must be a JSON object")
    obj: Obj = clone(body) if copy else body
    api_version = obj.setdefault("apiVersion", rd.api_version)
    if api_version != rd.api_version:
        raise bad_request(
            f"the API version in the data ({api_version}) does not match the expected "
            f"API version ({rd.api_version})"
        )
    kind = obj.setdefault("kind", rd.kind)
    if kind != rd.kind:
        raise bad_request(
            f"the kind in the data ({kind}) does not match the expected kind ({rd.kind})"
        )
    metadata = obj.get("metadata")
    if metadata is None:
        metadata = obj["metadata"] = {}
    if not isinstance(metadata, dict):
        raise bad_request("metadata must be a JSON object")
    if rd.namespaced:
        given = metadata.get("namespace")
        if given and given != namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        metadata["namespace"] = namespace
    else:
        metadata.pop("namespace", None)
    if name is not None:
        given_name = metadata.get("name")
        if given_name and given_name != name:
            raise bad_request(
                f"the name of the object ({given_name}) does not match the name on the URL ({name})"
            )
        metadata["name"] = name
    return obj


def new_metadata(obj: Obj, rv: int, now: str) -> None:
    """Set what the apiserver sets on create: uid, resourceVersion, creationTimestamp."""
    metadata = obj["metadata"]
    metadata["uid"] = str(uuid.uuid4())
    metadata["resourceVersion"] = str(rv)
    metadata["creationTimestamp"] = now
    metadata["generation"] = 1
    for key in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
        metadata.pop(key, None)


def keep_server_metadata(obj: Obj, old: Obj) -> None:
    """Carry over the fields a client cannot change on update."""
    metadata, before = obj["metadata"], old["metadata"]
    for key in (
        "uid",
        "creationTimestamp",
        "generation",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ):
        if key in before:
            metadata[key] = before[key]
        else:
            metadata.pop(key, None)
