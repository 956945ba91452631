"""TLS for the fake apiserver: one trustme CA and 127.0.0.1 certificate per process."""

from __future__ import annotations

import ssl
import threading
from pathlib import Path

import trustme

__all__ = ["ServerTLS"]

_lock = threading.Lock()
_cached: tuple[trustme.CA, trustme.LeafCert] | None = None


def _material() -> tuple[trustme.CA, trustme.LeafCert]:
    # Making keys is the slow part of starting a server; every fake in a process shares them.
    global _cached
    with _lock:
        if _cached is None:
            ca = trustme.CA(organization_name="cesdk fake apiserver")
            _cached = (ca, ca.issue_cert("127.0.0.1", "localhost", common_name="kube-apiserver"))
        return _cached


class ServerTLS:
    """The CA file clients trust and the server's SSL context."""

    def __init__(self, folder: Path) -> None:
        ca, leaf = _material()
        self.ca_path = folder / "ca.crt"
        ca.cert_pem.write_to_path(str(self.ca_path))
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(self.context)
