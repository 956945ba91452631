"""The resources the fake apiserver serves: built-ins, CRDs, and their discovery documents."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BUILTIN_RESOURCES",
    "CRD_DEF",
    "Registry",
    "ResourceDef",
    "crd_resources",
    "version_priority",
]

_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_SUB_VERBS = ("get", "patch", "update")


@dataclass(frozen=True)
class ResourceDef:
    """One resource served at one group/version, as discovery describes it.

    ``storage`` names where the objects live: two definitions with the same ``storage``
    (core/v1 and events.k8s.io/v1 ``events``, or two versions of a CRD) see the same objects.
    ``generation`` says which changes bump ``metadata.generation``: ``"spec"`` (only
    ``spec``), ``"all"`` (anything but ``metadata`` and, with a status subresource,
    ``status``) or ``"never"``.
    """

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    status_subresource: bool = False
    generation: str = "spec"
    storage_version: str = ""
    crd: str = ""
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), compare=False)

    @property
    def api_version(self) -> str:
        """``v1`` for the core group, else ``group/version``."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage(self) -> tuple[str, str]:
        """The (group, plural) key under which the objects are stored."""
        if self.group == "events.k8s.io" and self.plural == "events":
            return ("", "events")
        return (self.group, self.plural)

    @property
    def list_kind(self) -> str:
        """The kind of a list of these objects."""
        return f"{self.kind}List"

    def discovery(self) -> list[dict[str, Any]]:
        """Return the ``APIResource`` entries for this resource and its subresources."""
        entry: dict[str, Any] = {
            "name": self.plural,
            "singularName": self.singular or self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(_VERBS),
        }
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        if self.categories:
            entry["categories"] = list(self.categories)
        entries = [entry]
        if self.status_subresource:
            entries.append(
                {
                    "name": f"{self.plural}/status",
                    "singularName": "",
                    "namespaced": self.namespaced,
                    "kind": self.kind,
                    "verbs": list(_SUB_VERBS),
                }
            )
        return entries


def _builtin(
    group: str,
    version: str,
    plural: str,
    kind: str,
    *,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    status: bool = False,
    generation: str = "spec",
) -> ResourceDef:
    return ResourceDef(
        group=group,
        version=version,
        plural=plural,
        kind=kind,
        namespaced=namespaced,
        singular=kind.lower(),
        short_names=short,
        status_subresource=status,
        generation=generation,
        storage_version=f"{group}/{version}" if group else version,
    )


BUILTIN_RESOURCES: tuple[ResourceDef, ...] = (
    _builtin("", "v1", "namespaces", "Namespace", namespaced=False, short=("ns",), status=True),
    _builtin("", "v1", "configmaps", "ConfigMap", short=("cm",), generation="never"),
    _builtin("", "v1", "events", "Event", short=("ev",), generation="never"),
    _builtin("", "v1", "pods", "Pod", short=("po",), status=True),
    _builtin("events.k8s.io", "v1", "events", "Event", short=("ev",), generation="never"),
    _builtin("coordination.k8s.io", "v1", "leases", "Lease"),
    _builtin("apps", "v1", "deployments", "Deployment", short=("deploy",), status=True),
    _builtin(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        short=("crd", "crds"),
        status=True,
        generation="all",
    ),
)

CRD_DEF = BUILTIN_RESOURCES[-1]

_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key putting versions in Kubernetes order: v2 > v1 > v1beta2 > v1beta1 > v1alpha1."""
    match = _VERSION.match(version)
    if match is None:
        return (3, 0, 0, version)
    major, stage, minor = match.groups()
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -int(major), -int(minor or 0), version)


def crd_resources(crd: dict[str, Any]) -> list[ResourceDef]:
    """Return one definition per served version of a ``CustomResourceDefinition``.

    Raises:
        ValueError: the manifest lacks a field the apiserver requires; the message names it.
    """
    if crd.get("kind") != "CustomResourceDefinition":
        raise ValueError(f"not a CustomResourceDefinition: kind is {crd.get('kind')!r}")
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        raise ValueError("CustomResourceDefinition has no spec")
    names = spec.get("names") or {}
    group, plural, kind = spec.get("group"), names.get("plural"), names.get("kind")
    for label, value in (
        ("spec.group", group),
        ("spec.names.plural", plural),
        ("spec.names.kind", kind),
    ):
        if not isinstance(value, str) or not value:
            raise ValueError(f"CustomResourceDefinition needs {label}")
    group, plural, kind = str(group), str(plural), str(kind)
    expected = f"{plural}.{group}"
    name = (crd.get("metadata") or {}).get("name")
    if name != expected:
        raise ValueError(
            f"CustomResourceDefinition metadata.name must be {expected!r}, not {name!r}"
        )
    scope = spec.get("scope", "Namespaced")
    if scope not in ("Namespaced", "Cluster"):
        raise ValueError(
            f"CustomResourceDefinition spec.scope must be Namespaced or Cluster, not {scope!r}"
        )
    versions = spec.get("versions") or []
    if not versions:
        raise ValueError("CustomResourceDefinition needs at least one entry in spec.versions")
    storage = [v.get("name") for v in versions if v.get("storage")]
    if len(storage) != 1:
        raise ValueError("CustomResourceDefinition needs exactly one version with storage: true")
    defs = []
    for version in versions:
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or spec.get("subresources") or {}
        defs.append(
            ResourceDef(
                group=group,
                version=str(version["name"]),
                plural=plural,
                kind=kind,
                namespaced=scope == "Namespaced",
                singular=names.get("singular") or kind.lower(),
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                status_subresource="status" in subresources,
                generation="all",
                storage_version=f"{group}/{storage[0]}",
                crd=expected,
                printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
            )
        )
    return defs


class Registry:
    """The served resources, found by group/version/plural, kind, or a kubectl-style name."""

    def __init__(self, disabled_groups: frozenset[str] = frozenset()) -> None:
        self.disabled_groups = disabled_groups
        self._lock = threading.Lock()
        self._defs: dict[tuple[str, str, str], ResourceDef] = {}
        for rd in BUILTIN_RESOURCES:
            self._add(rd)

    def _add(self, rd: ResourceDef) -> None:
        if rd.group not in self.disabled_groups:
            self._defs[(rd.group, rd.version, rd.plural)] = rd

    def all(self) -> list[ResourceDef]:
        """Every served definition."""
        return list(self._defs.values())

    def lookup(self, group: str, version: str, plural: str) -> ResourceDef | None:
        """The definition served at ``group/version/plural``, or ``None``."""
        return self._defs.get((group, version, plural))

    def siblings(self, storage: tuple[str, str]) -> list[ResourceDef]:
        """Every definition whose objects live under ``storage``."""
        return [rd for rd in self._defs.values() if rd.storage == storage]

    def by_kind(self, api_version: str, kind: str) -> ResourceDef | None:
        """The definition of ``kind`` at ``api_version`` (``v1``, ``apps/v1``...)."""
        group, _, version = api_version.rpartition("/")
        for rd in self._defs.values():
            if rd.group == group and rd.version == version and rd.kind == kind:
                return rd
        return None

    def find(self, name: str, version: str | None = None) -> ResourceDef:
        """Resolve a kubectl-style name: ``configmaps``, ``cm``, ``events.events.k8s.io``.

        The group is what follows the first dot; without ``version`` the group's
        preferred version is used.

        Raises:
            LookupError: nothing served goes by that name.
        """
        plural, _, group = name.partition(".")
        candidates = [
            rd
            for rd in self._defs.values()
            if rd.group == group
            and plural in (rd.plural, rd.singular, rd.kind.lower(), *rd.short_names)
            and (version is None or rd.version == version)
        ]
        if not candidates:
            served = sorted({f"{rd.plural}.{rd.group}".rstrip(".") for rd in self._defs.values()})
            raise LookupError(f"no resource {name!r} is served; use one of {', '.join(served)}")
        candidates.sort(key=lambda rd: version_priority(rd.version))
        return candidates[0]

    def add(self, defs: list[ResourceDef]) -> None:
        """Serve ``defs``, replacing the CRD's earlier versions."""
        with self._lock:
            crds = {rd.crd for rd in defs if rd.crd}
            for key, rd in list(self._defs.items()):
                if rd.crd and rd.crd in crds:
                    del self._defs[key]
            for rd in defs:
                self._add(rd)

    def remove_crd(self, crd_name: str) -> None:
        """Stop serving the resources of the CRD called ``crd_name``."""
        with self._lock:
            for key, rd in list(self._defs.items()):
                if rd.crd == crd_name:
                    del self._defs[key]

    # Discovery documents -------------------------------------------------------------

    def group_versions(self) -> dict[str, list[str]]:
        """Map each non-core group to its versions, preferred first."""
        groups: dict[str, set[str]] = {}
        for rd in self._defs.values():
            if rd.group:
                groups.setdefault(rd.group, set()).add(rd.version)
        return {g: sorted(vs, key=version_priority) for g, vs in sorted(groups.items())}

    def api_group(self, group: str) -> dict[str, Any] | None:
        """The ``APIGroup`` document of ``group``, or ``None`` if it is not served."""
        versions = self.group_versions().get(group)
        if not versions:
            return None
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {
            "kind": "APIGroup",
            "apiVersion": "v1",
            "name": group,
            "versions": entries,
            "preferredVersion": dict(entries[0]),
        }

    def api_group_list(self) -> dict[str, Any]:
        """The ``APIGroupList`` served at ``/apis``."""
        groups = []
        for group in self.group_versions():
            doc = self.api_group(group)
            if doc is not None:
                del doc["kind"], doc["apiVersion"]
                groups.append(doc)
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def resource_list(self, group: str, version: str) -> dict[str, Any] | None:
        """The ``APIResourceList`` of ``group/version``, or ``None`` if it is not served."""
        defs = [rd for rd in self._defs.values() if rd.group == group and rd.version == version]
        if not defs:
            return None
        resources = [
            entry for rd in sorted(defs, key=lambda d: d.plural) for entry in rd.discovery()
        ]
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": resources,
        }
