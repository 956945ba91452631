"""The plugin registry: sources, sinks, formats and dedup stores found by name.

Entry-point groups: ``cesdk.sources``, ``cesdk.sinks``, ``cesdk.formats``,
``cesdk.dedup_stores``. ``available`` lists names without importing anything;
``load`` imports one. Objects registered in-process with ``register`` take
precedence. ``CESDK_DISABLED_PLUGINS`` (comma-separated ``name`` or ``group:name``)
blocks names.

Example:
    >>> from cesdk import plugins
    >>> "memory" in plugins.available("cesdk.sources")
    True
    >>> plugins.load("cesdk.sinks", "console").__name__
    'ConsoleSink'
"""

from __future__ import annotations

import os
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Final

from cesdk._errors import PluginError

__all__ = ["GROUPS", "available", "load", "refresh", "register", "unregister"]

GROUPS: Final = ("cesdk.sources", "cesdk.sinks", "cesdk.formats", "cesdk.dedup_stores")

# Which distribution provides the first-party plugins, for "install X" hints.
_PROVIDERS: Final = {
    "http": "cesdk-http",
    "webhook": "cesdk-webhook",
    "kafka": "cesdk-kafka",
    "nats": "cesdk-nats",
    "slack": "cesdk-slack",
    "smtp": "cesdk-smtp",
    "kubernetes-events": "cesdk-kubernetes",
    "kubernetes-resources": "cesdk-kubernetes",
    "notification-requests": "cesdk-kubernetes",
    "mqtt": "cesdk-mqtt",
    "amqp": "cesdk-amqp",
    "redis": "cesdk[redis]",
}

_registered: dict[tuple[str, str], Any] = {}


def _check_group(group: str) -> None:
    if group not in GROUPS:
        raise PluginError(f"unknown plugin group {group!r}; the groups are {', '.join(GROUPS)}")


def _disabled(group: str, name: str) -> bool:
    blocked = {b.strip() for b in os.environ.get("CESDK_DISABLED_PLUGINS", "").split(",")}
    return name in blocked or f"{group}:{name}" in blocked


@cache
def _entry_points(group: str) -> dict[str, list[EntryPoint]]:
    # Scanning every installed distribution is slow; installs do not change while a
    # process runs (refresh() forgets the scan for those that do).
    found: dict[str, list[EntryPoint]] = {}
    for ep in entry_points(group=group):
        found.setdefault(ep.name, []).append(ep)
    return found


def _distribution(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) or ep.value


def available(group: str) -> list[str]:
    """Return the sorted names in ``group``, without importing any plugin.

    Raises:
        PluginError: an unknown group.
    """
    _check_group(group)
    names = set(_entry_points(group)) | {n for g, n in _registered if g == group}
    return sorted(n for n in names if not _disabled(group, n))


def load(group: str, name: str) -> Any:
    """Import and return the object registered as ``name`` in ``group``.

    Raises:
        PluginError: the name is unknown (the message says which distribution to
            install), disabled, or provided by two distributions (both named).
    """
    _check_group(group)
    if _disabled(group, name):
        raise PluginError(f"plugin {group}:{name} is disabled by CESDK_DISABLED_PLUGINS")
    if (group, name) in _registered:
        return _registered[(group, name)]
    candidates = _entry_points(group).get(name, [])
    if not candidates:
        hint = _PROVIDERS.get(name)
        install = f'; install it with: pip install "{hint}"' if hint else ""
        known = ", ".join(available(group)) or "none"
        raise PluginError(f"no plugin {name!r} in {group} (available: {known}){install}")
    distinct = {(ep.value, _distribution(ep)) for ep in candidates}
    if len(distinct) > 1:
        who = " and ".join(sorted(f"{dist} ({value})" for value, dist in distinct))
        raise PluginError(
            f"plugin name {name!r} in {group} is provided by {who}; uninstall one, or "
            f"disable one with CESDK_DISABLED_PLUGINS"
        )
    try:
        return candidates[0].load()
    except ImportError as exc:
        raise PluginError(
            f"plugin {group}:{name} ({candidates[0].value}) failed to import: {exc}"
        ) from exc


def refresh() -> None:
    """Forget the cached scan of installed distributions (after installing a plugin)."""
    _entry_points.cache_clear()


def register(group: str, name: str, obj: Any) -> None:
    """Register an in-process object under ``name``; it wins over entry points."""
    _check_group(group)
    _registered[(group, name)] = obj


def unregister(group: str, name: str) -> None:
    """Remove an object registered with ``register`` (no error if absent)."""
    _registered.pop((group, name), None)
