"""Where a Kubernetes source keeps its resume point: a file, a state store (Redis), a ConfigMap.

A checkpoint is one small JSON document mapping each watched stream (a path such as
``/apis/events.k8s.io/v1/namespaces/default/events``) to the last resourceVersion
whose changes are all settled::

    {"version": 1, "streams": {"/apis/events.k8s.io/v1/events": "48213"}}

Any object with ``load()``, ``save(positions)`` and ``close()`` coroutines will do;
``checkpoint_from`` turns the option's URL form into one of the three kept here.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

import orjson
from kubernetes.client import ApiException

from cesdk import ConfigError, RedisDedupStore, StateStore
from cesdk_kubernetes._client import KubeClient, api_path

__all__ = [
    "Checkpoint",
    "ConfigMapCheckpoint",
    "FileCheckpoint",
    "StateStoreCheckpoint",
    "checkpoint_from",
]

_FORMAT_VERSION: Final = 1
# Redis keeps a checkpoint this long after its last write (a source stopped for longer
# starts afresh; the apiserver's history is much shorter anyway).
_STATE_TTL: Final = 30 * 86400.0


@runtime_checkable
class Checkpoint(Protocol):
    """Stores the resume point of a source: stream name -> resourceVersion."""

    async def load(self) -> dict[str, str]:
        """Return the stored positions; ``{}`` when there are none yet."""
        ...

    async def save(self, positions: dict[str, str]) -> None:
        """Replace the stored positions."""
        ...

    async def close(self) -> None:
        """Release what the checkpoint holds (connections)."""
        ...


def _encode(positions: dict[str, str]) -> bytes:
    return orjson.dumps({"version": _FORMAT_VERSION, "streams": positions})


def _decode(text: bytes | str | None, where: str) -> dict[str, str]:
    if not text:
        return {}
    try:
        document = orjson.loads(text)
        streams = document["streams"]
        if not isinstance(streams, dict):
            raise TypeError("streams is not an object")
        return {str(k): str(v) for k, v in streams.items()}
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"the checkpoint in {where} is not readable ({exc}); delete it to start afresh"
        ) from exc


class FileCheckpoint:
    """A JSON file, replaced atomically on each save (write a temporary file, rename it).

    Args:
        path: the file; its folder is created when missing.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()

    def __repr__(self) -> str:
        return f"FileCheckpoint({str(self.path)!r})"

    async def load(self) -> dict[str, str]:
        """Read the file; ``{}`` if it does not exist."""
        try:
            data = await asyncio.to_thread(self.path.read_bytes)
        except FileNotFoundError:
            return {}
        return _decode(data, str(self.path))

    async def save(self, positions: dict[str, str]) -> None:
        """Write the file atomically (and durably: fsync before the rename)."""
        await asyncio.to_thread(self._write, _encode(positions))

    def _write(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".checkpoint-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def close(self) -> None:
        """Nothing to release."""


class StateStoreCheckpoint:
    """A key in a ``cesdk.StateStore``: ``RedisDedupStore`` shares it between replicas.

    Args:
        store: the state store (``get`` / ``put``).
        key: the key to keep the checkpoint under.
        ttl: seconds the stored checkpoint lives after its last save.
        owned: close the store in ``close()``.
    """

    def __init__(
        self, store: StateStore, key: str, *, ttl: float = _STATE_TTL, owned: bool = False
    ) -> None:
        self.store = store
        self.key = key
        self.ttl = ttl
        self._owned = owned

    def __repr__(self) -> str:
        return f"StateStoreCheckpoint({self.store!r}, {self.key!r})"

    async def load(self) -> dict[str, str]:
        """Read the key; ``{}`` if unset."""
        return _decode(await self.store.get(self.key), f"state store key {self.key!r}")

    async def save(self, positions: dict[str, str]) -> None:
        """Write the key."""
        await self.store.put(self.key, _encode(positions).decode(), self.ttl)

    async def close(self) -> None:
        """Close the store if this checkpoint created it."""
        if self._owned:
            await self.store.close()


class ConfigMapCheckpoint:
    """A key of a ConfigMap, created on the first save and merge-patched afterwards.

    Needs RBAC ``get``, ``create`` and ``patch`` on that ConfigMap. The source binds
    its API client with ``bind`` before use.

    Args:
        namespace: the ConfigMap's namespace.
        name: the ConfigMap's name.
        key: the data key holding the JSON document.
    """

    def __init__(self, namespace: str, name: str, *, key: str = "checkpoint.json") -> None:
        self.namespace = namespace
        self.name = name
        self.key = key
        self._client: KubeClient | None = None

    def __repr__(self) -> str:
        return f"ConfigMapCheckpoint({self.namespace!r}, {self.name!r})"

    def bind(self, client: KubeClient) -> None:
        """Use ``client`` for the ConfigMap's reads and writes."""
        self._client = client

    def _bound(self) -> KubeClient:
        if self._client is None:
            raise RuntimeError("ConfigMapCheckpoint is not bound to a client; call bind()")
        return self._client

    async def load(self) -> dict[str, str]:
        """Read the ConfigMap's key; ``{}`` if the ConfigMap or the key is missing."""
        path = api_path("", "v1", "configmaps", self.namespace, self.name)
        try:
            body = await self._bound().arequest("GET", path)
        except ApiException as exc:
            if exc.status == 404:
                return {}
            raise
        data: dict[str, Any] = (body or {}).get("data") or {}
        return _decode(data.get(self.key), f"ConfigMap {self.namespace}/{self.name}")

    async def save(self, positions: dict[str, str]) -> None:
        """Merge-patch the key, or create the ConfigMap when it does not exist."""
        client = self._bound()
        text = _encode(positions).decode()
        path = api_path("", "v1", "configmaps", self.namespace, self.name)
        try:
            await client.arequest(
                "PATCH",
                path,
                body={"data": {self.key: text}},
                content_type="application/merge-patch+json",
            )
            return
        except ApiException as exc:
            if exc.status != 404:
                raise
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": {"app.kubernetes.io/managed-by": "cesdk"},
            },
            "data": {self.key: text},
        }
        try:
            await client.arequest(
                "POST", api_path("", "v1", "configmaps", self.namespace), body=body
            )
        except ApiException as exc:
            if exc.status != 409:  # created meanwhile by another replica: patch it
                raise
            await client.arequest(
                "PATCH",
                path,
                body={"data": {self.key: text}},
                content_type="application/merge-patch+json",
            )

    async def close(self) -> None:
        """Nothing to release (the client belongs to the source)."""


def checkpoint_from(value: Any, *, key: str) -> Checkpoint | None:
    """Turn the ``checkpoint=`` option into a ``Checkpoint``.

    Args:
        value: ``None``; a ``Checkpoint``; a ``cesdk.StateStore``; or a URL:
            ``file:///path`` (or a plain path), ``redis://host:port/db``
            (``rediss://`` too), ``configmap://namespace/name``.
        key: the state store key (Redis) for this source.

    Raises:
        ConfigError: a URL of another scheme or without the parts it needs.
    """
    if value is None:
        return None
    if isinstance(value, Checkpoint):
        return value
    if isinstance(value, os.PathLike):
        return FileCheckpoint(value)
    if not isinstance(value, str):
        if callable(getattr(value, "get", None)) and callable(getattr(value, "put", None)):
            return StateStoreCheckpoint(value, key)
        raise ConfigError(
            f"checkpoint must be a URL (file://, redis://, configmap://) or a Checkpoint, "
            f"got {type(value).__name__}"
        )
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme == "" or (scheme == "file" and not parts.netloc):
        path = unquote(parts.path)
        if not path:
            raise ConfigError(f"checkpoint {value!r} names no file")
        return FileCheckpoint(path)
    if scheme in ("redis", "rediss", "unix"):
        return StateStoreCheckpoint(RedisDedupStore(value, prefix=""), key, owned=True)
    if scheme == "configmap":
        name = parts.path.strip("/")
        if not parts.netloc or not name or "/" in name:
            raise ConfigError(
                f"checkpoint {value!r}: write configmap://<namespace>/<name>, "
                "e.g. configmap://monitoring/cesdk-events-checkpoint"
            )
        return ConfigMapCheckpoint(parts.netloc, name)
    raise ConfigError(
        f"checkpoint {value!r}: unknown scheme {parts.scheme!r}; use file:///path, "
        "redis://host:port/db or configmap://namespace/name"
    )
