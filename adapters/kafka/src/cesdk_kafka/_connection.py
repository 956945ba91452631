"""Connection settings shared by the source and the sink: brokers, TLS, SASL, client id."""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["Connection"]

_PROTOCOLS: Final = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
_MECHANISMS: Final = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True)
class Connection:
    """How to reach and authenticate to the brokers.

    Args:
        bootstrap_servers: ``host:port`` text (comma-separated) or a list of them.
        client_id: the client id the brokers see (quotas, logs).
        security_protocol: ``PLAINTEXT``, ``SSL``, ``SASL_PLAINTEXT`` or ``SASL_SSL``;
            inferred from the TLS and SASL options when omitted.
        ssl_context: a ready ``ssl.SSLContext``; or build one from the files below.
        ssl_cafile: CA bundle that signs the brokers' certificates.
        ssl_certfile: client certificate (mutual TLS).
        ssl_keyfile: the client certificate's key.
        sasl_mechanism: ``PLAIN``, ``SCRAM-SHA-256`` or ``SCRAM-SHA-512``.
        sasl_username: the SASL user.
        sasl_password: the SASL password.
    """

    bootstrap_servers: str | Sequence[str] = "localhost:9092"
    client_id: str = "cesdk"
    security_protocol: str | None = None
    ssl_context: ssl.SSLContext | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = None

    def __post_init__(self) -> None:
        if self.security_protocol is not None and self.security_protocol not in _PROTOCOLS:
            raise ValueError(
                f"security_protocol {self.security_protocol!r} is not one of {_PROTOCOLS}"
            )
        if self.sasl_mechanism is not None:
            if self.sasl_mechanism not in _MECHANISMS:
                raise ValueError(
                    f"sasl_mechanism {self.sasl_mechanism!r} is not one of {_MECHANISMS}"
                )
            if not self.sasl_username or self.sasl_password is None:
                raise ValueError(
                    f"SASL {self.sasl_mechanism} needs sasl_username and sasl_password"
                )

    @property
    def tls(self) -> bool:
        """Whether the connection uses TLS."""
        if self.security_protocol is not None:
            return self.security_protocol in ("SSL", "SASL_SSL")
        return self.ssl_context is not None or self.ssl_cafile is not None

    def protocol(self) -> str:
        """Return the security protocol, given or inferred."""
        if self.security_protocol is not None:
            return self.security_protocol
        if self.sasl_mechanism is not None:
            return "SASL_SSL" if self.tls else "SASL_PLAINTEXT"
        return "SSL" if self.tls else "PLAINTEXT"

    def _context(self) -> ssl.SSLContext:
        if self.ssl_context is not None:
            return self.ssl_context
        context = ssl.create_default_context(cafile=self.ssl_cafile)
        if self.ssl_certfile is not None:
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)
        return context

    def client_options(self, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return the aiokafka keyword arguments for this connection, plus ``extra``."""
        servers = self.bootstrap_servers
        options: dict[str, Any] = {
            "bootstrap_servers": servers if isinstance(servers, str) else list(servers),
            "client_id": self.client_id,
            "security_protocol": self.protocol(),
        }
        if self.tls:
            options["ssl_context"] = self._context()
        if self.sasl_mechanism is not None:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.sasl_password
        options.update(extra or {})
        return options
