"""The object store: one resourceVersion counter, objects, history and watchers.

Every write takes one lock, so the HTTP handlers (on the server's thread) and the direct
helpers (on any thread) see one consistent order of changes, as etcd gives.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from cesdk_kubernetes.testing._events import now_rfc3339, validate_events_v1
from cesdk_kubernetes.testing._objects import (
    Obj,
    check_name,
    clone,
    generate_name,
    generation_content,
    is_events_v1,
    keep_server_metadata,
    new_metadata,
    prepare_body,
    to_storage,
    to_view,
)
from cesdk_kubernetes.testing._patch import apply_patch
from cesdk_kubernetes.testing._resources import CRD_DEF, Registry, ResourceDef, crd_resources
from cesdk_kubernetes.testing._selectors import Selector
from cesdk_kubernetes.testing._status import (
    ApiStatusError,
    already_exists,
    bad_request,
    conflict,
    expired,
    invalid,
    not_found,
)
from cesdk_kubernetes.testing._watchers import Change, History, Watcher

__all__ = ["Store"]

Key = tuple[str, str]  # (namespace or "", name)

_STALE = (
    "the object has been modified; please apply your changes to the latest version and try again"
)
_CONTINUE_TOO_OLD = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in the list."
)


def _key(obj: Obj) -> Key:
    metadata = obj["metadata"]
    return (metadata.get("namespace") or "", metadata["name"])


def _encode_continue(rv: int, start: Key) -> str:
    token = {"v": "meta.k8s.io/v1", "rv": rv, "start": f"{start[0]}/{start[1]}\x00"}
    return base64.urlsafe_b64encode(orjson.dumps(token)).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, Key]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        namespace, _, name = str(data["start"]).rstrip("\x00").partition("/")
        return int(data["rv"]), (namespace, name)
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise bad_request(f"continue key is not valid: {exc}") from None


def _is_crd(rd: ResourceDef) -> bool:
    return rd.group == "apiextensions.k8s.io" and rd.plural == "customresourcedefinitions"


def _parse_rv(value: str, what: str = "resourceVersion") -> int:
    try:
        rv = int(value)
    except ValueError:
        raise bad_request(f'{what}: Invalid value: "{value}": must be an integer') from None
    if rv < 0:
        raise bad_request(f'{what}: Invalid value: "{value}": must not be negative')
    return rv


class Store:
    """Objects by (storage, namespace, name), one RV counter, bounded history, watchers."""

    def __init__(self, registry: Registry, history: int) -> None:
        self.registry = registry
        self._lock = threading.RLock()
        self._rv = 1
        self._objects: dict[tuple[str, str], dict[Key, Obj]] = {}
        self._history = History(history)
        self._history.oldest_valid = self._rv
        self._watchers: dict[tuple[str, str], list[Watcher]] = {}

    # Counters and history ------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        """The current (highest) resourceVersion."""
        return self._rv

    @property
    def oldest_valid(self) -> int:
        """The oldest resourceVersion a watch or an exact list may still start from."""
        return self._history.oldest_valid

    def compact(self) -> int:
        """Drop all history: every older resourceVersion is ``410 Expired`` from now on."""
        with self._lock:
            self._history.compact(self._rv)
            return self._rv

    def _publish(self, change: Change) -> None:
        self._history.append(change)
        for watcher in self._watchers.get(change.storage, ()):
            if not watcher.pending:
                watcher.wake()
            watcher.pending.append(change)

    def _bucket(self, rd: ResourceDef) -> dict[Key, Obj]:
        return self._objects.setdefault(rd.storage, {})

    # Reads ---------------------------------------------------------------------------

    def get(self, rd: ResourceDef, namespace: str | None, name: str) -> Obj:
        """The object as ``rd`` shows it.

        Raises:
            ApiStatusError: 404.
        """
        obj = self._bucket(rd).get((namespace or "", name))
        if obj is None:
            raise not_found(rd.plural, rd.group, name)
        return to_view(obj, rd)

    def _state_at(self, rd: ResourceDef, rv: int) -> dict[Key, Obj]:
        """The objects of ``rd`` as they were at ``rv`` (needs the history back to ``rv``)."""
        objects = dict(self._bucket(rd))
        for change in self._history.newest_first():
            if change.rv <= rv:
                break
            if change.storage != rd.storage:
                continue
            key = _key(change.obj)
            if change.prev is None:
                objects.pop(key, None)
            else:
                objects[key] = change.prev
        return objects

    def list_objects(
        self,
        rd: ResourceDef,
        namespace: str | None,
        *,
        label: Selector | None = None,
        field: Selector | None = None,
        limit: int | None = None,
        continue_: str | None = None,
        resource_version: str | None = None,
        resource_version_match: str | None = None,
    ) -> Obj:
        """A ``<Kind>List`` with list semantics of the apiserver.

        Raises:
            ApiStatusError: 400 for bad parameters, 410 for a compacted continue token or
                exact resourceVersion, 504 for a resourceVersion from the future.
        """
        if resource_version_match and not resource_version:
            raise bad_request(
                "resourceVersionMatch is forbidden unless resourceVersion is provided"
            )
        if continue_ and resource_version not in (None, "", "0"):
            raise bad_request("specifying resource version is not allowed when using continue")
        if resource_version_match not in (None, "", "Exact", "NotOlderThan"):
            raise bad_request(f"resourceVersionMatch: unsupported value {resource_version_match!r}")
        start: Key | None = None
        with self._lock:
            at: int | None = None
            if continue_:
                at, start = _decode_continue(continue_)
                if at < self._history.oldest_valid:
                    raise expired(_CONTINUE_TOO_OLD)
            elif resource_version not in (None, "", "0"):
                wanted = _parse_rv(resource_version or "")
                if wanted > self._rv:
                    raise ApiStatusError(
                        504,
                        f"Too large resource version: {wanted}, current: {self._rv}",
                        details={"causes": [{"reason": "ResourceVersionTooLarge"}]},
                    )
                if resource_version_match == "Exact":
                    if wanted < self._history.oldest_valid:
                        raise expired(
                            f"too old resource version: {wanted} ({self._history.oldest_valid})"
                        )
                    at = wanted
            if at is None or at == self._rv:
                objects, list_rv = self._bucket(rd), self._rv
            else:
                objects, list_rv = self._state_at(rd, at), at
            keys = sorted(k for k in objects if namespace is None or k[0] == namespace)
            if start is not None:
                keys = [k for k in keys if k > start]
            items: list[Obj] = []
            next_key: Key | None = None
            for index, key in enumerate(keys):
                view = to_view(objects[key], rd)
                if (label is None or label(view)) and (field is None or field(view)):
                    if limit and len(items) == limit:
                        next_key = keys[index - 1]
                        break
                    items.append(view)
            metadata: Obj = {"resourceVersion": str(list_rv)}
            if next_key is not None:
                metadata["continue"] = _encode_continue(list_rv, next_key)
                if label is None and field is None:
                    metadata["remainingItemCount"] = len(keys) - keys.index(next_key) - 1
            return {
                "kind": rd.list_kind,
                "apiVersion": rd.api_version,
                "metadata": metadata,
                "items": items,
            }

    # Watches -------------------------------------------------------------------------

    def watch(
        self,
        rd: ResourceDef,
        namespace: str | None,
        *,
        label: Selector | None,
        field: Selector | None,
        resource_version: str | None,
        wake: Callable[[], None],
    ) -> tuple[Watcher, list[tuple[str, Obj]], int]:
        """Open a watch; return it, the events to send first, and the RV they reach.

        Without a resourceVersion (or ``"0"``) the first events are a synthetic ``ADDED``
        for every current object; from resourceVersion R they are the changes after R.

        Raises:
            ApiStatusError: 410 when R is older than the history; 400 for a bad R.
        """
        watcher = Watcher(rd, namespace, label, field, wake)
        first: list[tuple[str, Obj]] = []
        with self._lock:
            if resource_version in (None, "", "0"):
                for key in sorted(self._bucket(rd)):
                    if namespace is None or key[0] == namespace:
                        view = to_view(self._bucket(rd)[key], rd)
                        if watcher.matches(view):
                            first.append(("ADDED", view))
            else:
                since = _parse_rv(resource_version or "")
                if since < self._history.oldest_valid:
                    raise expired(
                        f"too old resource version: {since} ({self._history.oldest_valid})"
                    )
                for change in self._history.since(since):
                    if change.storage == rd.storage:
                        rendered = watcher.render(change)
                        if rendered is not None:
                            first.append(rendered)
            self._watchers.setdefault(rd.storage, []).append(watcher)
            return watcher, first, self._rv

    def take(self, watcher: Watcher) -> tuple[list[Change], int]:
        """The changes waiting for ``watcher``, and the RV it is then up to date with."""
        with self._lock:
            batch, watcher.pending = watcher.pending, []
            return batch, self._rv

    def unwatch(self, watcher: Watcher) -> None:
        """Forget ``watcher``."""
        with self._lock:
            watchers = self._watchers.get(watcher.rd.storage, [])
            if watcher in watchers:
                watchers.remove(watcher)
            watcher.closed = True

    def watchers(self) -> list[Watcher]:
        """Every open watcher."""
        with self._lock:
            return [w for ws in self._watchers.values() for w in ws]

    # Writes --------------------------------------------------------------------------

    def _validate(self, rd: ResourceDef, view: Obj) -> None:
        if is_events_v1(rd):
            problems = validate_events_v1(view)
            if problems:
                name = view["metadata"].get("name", "")
                raise ApiStatusError(
                    422,
                    f'Event.events.k8s.io "{name}" is invalid: '
                    + ", ".join(f"{f}: {p}" for f, p in problems),
                    details={
                        "name": name,
                        "group": rd.group,
                        "kind": "Event",
                        "causes": [
                            {"reason": "FieldValueInvalid", "message": p, "field": f}
                            for f, p in problems
                        ],
                    },
                )
        if _is_crd(rd):
            try:
                crd_resources(view)
            except ValueError as exc:
                raise invalid(rd.kind, view["metadata"].get("name", ""), "spec", str(exc)) from None

    def create(self, rd: ResourceDef, namespace: str | None, body: Any) -> Obj:
        """Create an object; return it as ``rd`` shows it.

        Raises:
            ApiStatusError: 400, 409 AlreadyExists, 422 Invalid.
        """
        return self.create_many(rd, namespace, [body])[0]

    def create_many(
        self, rd: ResourceDef, namespace: str | None, bodies: Iterable[Any], *, copy: bool = True
    ) -> list[Obj]:
        """Create several objects under one lock (all or none if one is refused).

        ``copy=False`` takes ownership of ``bodies`` instead of copying them.
        """
        prepared = []
        for body in bodies:
            view = prepare_body(rd, namespace if rd.namespaced else None, body, copy=copy)
            metadata = view["metadata"]
            if not metadata.get("name"):
                if not metadata.get("generateName"):
                    raise invalid(
                        rd.kind,
                        "",
                        "metadata.name",
                        "Required value: name or generateName is required",
                    )
                metadata["name"] = generate_name(metadata["generateName"])
            check_name(rd, metadata["name"])
            if rd.status_subresource and not _is_crd(rd):
                view.pop("status", None)
            self._validate(rd, view)
            prepared.append(view)
        with self._lock:
            bucket = self._bucket(rd)
            seen: set[Key] = set()
            for view in prepared:
                key = _key(view)
                if key in bucket or key in seen:
                    raise already_exists(rd.plural, rd.group, key[1])
                seen.add(key)
            out = []
            now = now_rfc3339()
            for view in prepared:
                self._rv += 1
                new_metadata(view, self._rv, now)
                if _is_crd(rd):
                    self._establish_crd(view)
                stored = to_storage(view, rd)
                bucket[_key(stored)] = stored
                self._publish(Change(self._rv, "ADDED", rd.storage, stored, None))
                out.append(to_view(stored, rd))
            return out

    def _establish_crd(self, crd: Obj) -> None:
        defs = crd_resources(crd)
        self.registry.add(defs)
        names = crd["spec"]["names"]
        storage = next(v["name"] for v in crd["spec"]["versions"] if v.get("storage"))
        now = now_rfc3339()
        crd["status"] = {
            "acceptedNames": dict(names),
            "storedVersions": [storage],
            "conditions": [
                {
                    "type": "NamesAccepted",
                    "status": "True",
                    "reason": "NoConflicts",
                    "message": "no conflicts found",
                    "lastTransitionTime": now,
                },
                {
                    "type": "Established",
                    "status": "True",
                    "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                    "lastTransitionTime": now,
                },
            ],
        }

    def update(
        self,
        rd: ResourceDef,
        namespace: str | None,
        name: str,
        body: Any,
        *,
        subresource: str | None = None,
    ) -> Obj:
        """Replace an object (or only its status, with ``subresource="status"``).

        Raises:
            ApiStatusError: 404, 409 Conflict for a stale resourceVersion, 400, 422.
        """
        view = prepare_body(rd, namespace if rd.namespaced else None, body, name)
        with self._lock:
            return self._write(rd, namespace, name, lambda _old: view, subresource)

    def patch(
        self,
        rd: ResourceDef,
        namespace: str | None,
        name: str,
        patch: Any,
        patch_type: str,
        *,
        subresource: str | None = None,
    ) -> Obj:
        """Patch an object: ``patch_type`` is ``merge``, ``strategic`` or ``json``.

        Raises:
            ApiStatusError: 404, 409 for a resourceVersion precondition in the patch, 400, 422.
        """

        def patched(old: Obj) -> Obj:
            result = apply_patch(old, patch, patch_type)
            return prepare_body(rd, namespace if rd.namespaced else None, result, name)

        with self._lock:
            return self._write(rd, namespace, name, patched, subresource)

    def _write(
        self,
        rd: ResourceDef,
        namespace: str | None,
        name: str,
        change: Callable[[Obj], Obj],
        subresource: str | None,
    ) -> Obj:
        if subresource not in (None, "status") or (subresource and not rd.status_subresource):
            raise not_found(f"{rd.plural}/{subresource}", rd.group, name)
        bucket = self._bucket(rd)
        key = (namespace or "", name) if rd.namespaced else ("", name)
        stored_old = bucket.get(key)
        if stored_old is None:
            raise not_found(rd.plural, rd.group, name)
        old = clone(to_view(stored_old, rd))
        new = change(old)
        wanted_rv = new["metadata"].get("resourceVersion")
        if wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
            raise conflict(rd.plural, rd.group, name, _STALE)
        if subresource == "status":
            status = new.get("status")
            new = clone(old)
            if status is None:
                new.pop("status", None)
            else:
                new["status"] = status
        elif rd.status_subresource:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        keep_server_metadata(new, old)
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        self._validate(rd, new)
        if new == old:
            return to_view(stored_old, rd)  # a no-op write changes nothing, as on a real apiserver
        if generation_content(new, rd) != generation_content(old, rd):
            new["metadata"]["generation"] = int(old["metadata"].get("generation") or 0) + 1
        if _is_crd(rd) and subresource is None:
            self._establish_crd(new)
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            return self._remove(rd, key, stored_old)
        self._rv += 1
        new["metadata"]["resourceVersion"] = str(self._rv)
        stored = to_storage(new, rd)
        bucket[key] = stored
        self._publish(Change(self._rv, "MODIFIED", rd.storage, stored, stored_old))
        return to_view(stored, rd)

    def delete(
        self,
        rd: ResourceDef,
        namespace: str | None,
        name: str,
        *,
        preconditions: dict[str, Any] | None = None,
    ) -> Obj:
        """Delete an object; return its last state.

        An object with ``metadata.finalizers`` only gets a ``deletionTimestamp``; it goes
        when an update empties its finalizers.

        Raises:
            ApiStatusError: 404, 409 when ``preconditions`` (uid, resourceVersion) fail.
        """
        with self._lock:
            bucket = self._bucket(rd)
            key = (namespace or "", name) if rd.namespaced else ("", name)
            stored = bucket.get(key)
            if stored is None:
                raise not_found(rd.plural, rd.group, name)
            metadata = stored["metadata"]
            for field in ("uid", "resourceVersion"):
                wanted = (preconditions or {}).get(field)
                if wanted and wanted != metadata.get(field):
                    raise conflict(
                        rd.plural,
                        rd.group,
                        name,
                        f"Precondition failed: {field.capitalize()} in precondition: {wanted}, "
                        f"{field.capitalize()} in object meta: {metadata.get(field)}",
                    )
            if metadata.get("finalizers"):
                if metadata.get("deletionTimestamp"):
                    return to_view(stored, rd)
                self._rv += 1
                marked = clone(stored)
                marked["metadata"]["deletionTimestamp"] = now_rfc3339()
                marked["metadata"]["deletionGracePeriodSeconds"] = 0
                marked["metadata"]["resourceVersion"] = str(self._rv)
                bucket[key] = marked
                self._publish(Change(self._rv, "MODIFIED", rd.storage, marked, stored))
                return to_view(marked, rd)
            return self._remove(rd, key, stored)

    def _remove(self, rd: ResourceDef, key: Key, stored: Obj) -> Obj:
        bucket = self._bucket(rd)
        del bucket[key]
        self._rv += 1
        last = {**stored, "metadata": {**stored["metadata"], "resourceVersion": str(self._rv)}}
        self._publish(Change(self._rv, "DELETED", rd.storage, last, stored))
        if _is_crd(rd):
            crd_name = stored["metadata"]["name"]
            served = [r for r in self.registry.all() if r.crd == crd_name]
            if served:
                objects = self._objects.get(served[0].storage, {})
                for object_key in sorted(objects):
                    self._remove(served[0], object_key, objects[object_key])
            self.registry.remove_crd(crd_name)
        return to_view(stored, rd)

    def delete_collection(
        self,
        rd: ResourceDef,
        namespace: str | None,
        *,
        label: Selector | None = None,
        field: Selector | None = None,
    ) -> Obj:
        """Delete every matching object; return them as a list."""
        with self._lock:
            listed = self.list_objects(rd, namespace, label=label, field=field)
            for item in listed["items"]:
                metadata = item["metadata"]
                self.delete(rd, metadata.get("namespace"), metadata["name"])
            listed["metadata"] = {"resourceVersion": str(self._rv)}
            return listed

    def load_crd(self, crd: Obj) -> Obj:
        """Create, or replace, a CustomResourceDefinition given as a manifest.

        Raises:
            ApiStatusError: 422 for a manifest the apiserver would refuse.
        """
        name = (crd.get("metadata") or {}).get("name", "")
        body = clone(crd)
        (body.get("metadata") or {}).pop("resourceVersion", None)
        with self._lock:
            if ("", name) in self._bucket(CRD_DEF):
                return self.update(CRD_DEF, None, name, body)
            return self.create(CRD_DEF, None, body)
