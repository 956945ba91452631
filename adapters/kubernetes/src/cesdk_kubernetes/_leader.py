"""Lease-based leader election (coordination.k8s.io/v1), as client-go's ``leaderelection``.

A candidate reads the Lease; it takes it when nobody holds it, when the holder released
it (empty ``holderIdentity``), or when the record has not changed for
``leaseDurationSeconds`` *as observed on this candidate's own clock* (no clock
agreement between replicas is needed). Writes carry the Lease's resourceVersion, so of
two candidates racing only one wins; the other gets ``409 Conflict``. The leader renews
every ``retry_period``; if it cannot renew for ``renew_deadline`` (shorter than the
lease duration) it stops leading before anyone else may start. On a clean stop it
releases the Lease so a follower takes over at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kubernetes.client import ApiException

from cesdk import ConfigError
from cesdk_kubernetes._client import NETWORK_ERRORS, KubeClient, api_path

__all__ = ["LeaderElection", "LeaderElectionConfig"]

log = logging.getLogger("cesdk_kubernetes")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class LeaderElectionConfig:
    """The ``leader_election=`` option.

    Attributes:
        namespace: the Lease's namespace.
        name: the Lease's name.
        identity: this replica's name in ``holderIdentity``; host name and a random
            suffix by default (``POD_NAME`` when set).
        lease_duration: seconds a follower waits after the last renewal it saw.
        renew_deadline: seconds the leader keeps trying to renew before it stops leading.
        retry_period: seconds between attempts (to acquire, and to renew).
    """

    namespace: str
    name: str
    identity: str
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0

    @classmethod
    def parse(cls, value: Any) -> LeaderElectionConfig:
        """Accept a config, a mapping (``lease: "ns/name"``, ``namespace`` + ``name``), or text."""
        if isinstance(value, LeaderElectionConfig):
            return value
        if isinstance(value, str):
            value = {"lease": value}
        if not isinstance(value, Mapping):
            raise ConfigError(
                "leader_election must be a mapping such as {lease: monitoring/cesdk-events}"
            )
        options = dict(value)
        lease = options.pop("lease", None)
        namespace = options.pop("namespace", None)
        name = options.pop("name", None)
        if lease is not None:
            namespace, _, name = str(lease).rpartition("/")
            namespace = namespace or "default"
        if not name:
            raise ConfigError("leader_election needs lease: <namespace>/<name>")
        identity = options.pop("identity", None) or (
            os.environ.get("POD_NAME") or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        )
        numbers: dict[str, float] = {}
        for key in ("lease_duration", "renew_deadline", "retry_period"):
            if key in options:
                numbers[key] = float(options.pop(key))
        if options:
            raise ConfigError(
                f"leader_election: unknown option(s) {', '.join(sorted(options))}; known: "
                "lease, identity, lease_duration, renew_deadline, retry_period"
            )
        config = cls(str(namespace or "default"), str(name), str(identity), **numbers)
        if not 0 < config.retry_period < config.renew_deadline < config.lease_duration:
            raise ConfigError(
                "leader_election needs 0 < retry_period < renew_deadline < lease_duration, "
                f"got {config.retry_period}, {config.renew_deadline}, {config.lease_duration}"
            )
        return config


class LeaderElection:
    """Acquire, hold and release one Lease.

    Args:
        client: the API client (needs get, create, update on the Lease).
        config: the Lease and the timings.
    """

    def __init__(self, client: KubeClient, config: LeaderElectionConfig) -> None:
        self.client = client
        self.config = config
        self.leading = False
        self._path = api_path("coordination.k8s.io", "v1", "leases", config.namespace, config.name)
        self._observed: dict[str, Any] | None = None
        self._observed_at = 0.0

    @property
    def identity(self) -> str:
        """This candidate's identity."""
        return self.config.identity

    async def acquire(self) -> None:
        """Return once this candidate holds the Lease."""
        while True:
            if await self._try() is True:
                self.leading = True
                log.info("%s: leading (Lease %s)", self.identity, self._path)
                return
            await asyncio.sleep(self.config.retry_period)

    async def hold(self) -> None:
        """Renew until renewal fails for ``renew_deadline`` or another holds it; then return."""
        last = time.monotonic()
        while True:
            await asyncio.sleep(self.config.retry_period)
            result = await self._try()
            if result is True:
                last = time.monotonic()
                continue
            if result == "taken" or time.monotonic() - last >= self.config.renew_deadline:
                self.leading = False
                log.warning("%s: lost the Lease %s", self.identity, self._path)
                return

    async def release(self) -> None:
        """Give the Lease up (if held) so that a follower takes it at once."""
        if not self.leading:
            return
        self.leading = False
        try:
            lease = await self.client.arequest("GET", self._path, timeout=(2.0, 2.0))
            spec = lease.get("spec") or {}
            if spec.get("holderIdentity") != self.identity:
                return
            lease["spec"] = {
                **spec,
                "holderIdentity": "",
                "leaseDurationSeconds": 1,
                "renewTime": _now(),
            }
            await self.client.arequest("PUT", self._path, body=lease, timeout=(2.0, 2.0))
        except (ApiException, *NETWORK_ERRORS) as exc:
            log.warning("%s: could not release the Lease %s: %s", self.identity, self._path, exc)

    async def _try(self) -> bool | str:
        """One attempt: True (we hold it now), False (not now), or "taken" (another holds it)."""
        config = self.config
        now = _now()
        try:
            try:
                lease = await self.client.arequest("GET", self._path, timeout=(5.0, 5.0))
            except ApiException as exc:
                if exc.status != 404:
                    raise
                return await self._create(now)
            spec = dict(lease.get("spec") or {})
            if spec != self._observed:
                self._observed, self._observed_at = spec, time.monotonic()
            holder = spec.get("holderIdentity") or ""
            duration = float(spec.get("leaseDurationSeconds") or config.lease_duration)
            held = holder and holder != self.identity
            if held and time.monotonic() < self._observed_at + duration:
                return "taken" if self.leading else False
            new = {
                **spec,
                "holderIdentity": self.identity,
                "leaseDurationSeconds": max(1, round(config.lease_duration)),
                "renewTime": now,
            }
            if holder != self.identity:
                new["acquireTime"] = now
                new["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
            lease["spec"] = new
            await self.client.arequest("PUT", self._path, body=lease, timeout=(5.0, 5.0))
        except ApiException as exc:
            if exc.status != 409:
                log.warning(
                    "%s: Lease %s: %s %s", self.identity, self._path, exc.status, exc.reason
                )
            return False
        except NETWORK_ERRORS as exc:
            log.warning("%s: Lease %s: %s", self.identity, self._path, exc)
            return False
        self._observed, self._observed_at = new, time.monotonic()
        return True

    async def _create(self, now: str) -> bool:
        config = self.config
        spec = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": max(1, round(config.lease_duration)),
            "acquireTime": now,
            "renewTime": now,
            "leaseTransitions": 0,
        }
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": config.name, "namespace": config.namespace},
            "spec": spec,
        }
        try:
            await self.client.arequest(
                "POST",
                api_path("coordination.k8s.io", "v1", "leases", config.namespace),
                body=body,
                timeout=(5.0, 5.0),
            )
        except ApiException as exc:
            if exc.status == 409:  # another candidate created it first
                return False
            raise
        self._observed, self._observed_at = spec, time.monotonic()
        return True
