"""Connection settings shared by the source and the sink, and the ``mqtt://`` URL form."""

from __future__ import annotations

import ssl
import uuid
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

from cesdk import ConfigError
from cesdk.bindings.mqtt import MQTT_3_1_1, MQTT_5

__all__ = ["Settings", "parse_url", "protocol_level", "tls_context"]

_TRUE: Final = ("1", "true", "yes", "on")
_VERSIONS: Final = {
    "5": MQTT_5,
    "5.0": MQTT_5,
    "3": MQTT_3_1_1,
    "4": MQTT_3_1_1,
    "3.1.1": MQTT_3_1_1,
    "311": MQTT_3_1_1,
}


def protocol_level(version: int | str) -> int:
    """Return the protocol level for ``5`` (MQTT 5.0) or ``3`` / ``"3.1.1"`` (MQTT 3.1.1).

    Raises:
        ConfigError: any other version.
    """
    level = _VERSIONS.get(str(version).strip())
    if level is None:
        raise ConfigError(
            f"protocol_version {version!r} is not supported: use 5 (MQTT 5.0) or 3 (MQTT 3.1.1)",
            key="protocol_version",
        )
    return level


def tls_context(
    tls: bool | ssl.SSLContext,
    *,
    ca_file: str | None,
    cert_file: str | None,
    key_file: str | None,
    tls_insecure: bool,
) -> ssl.SSLContext | None:
    """Return the TLS context to connect with, or ``None`` for plain TCP.

    A CA file, a client certificate or ``tls_insecure`` implies TLS.
    """
    if isinstance(tls, ssl.SSLContext):
        return tls
    if not (tls or ca_file or cert_file or tls_insecure):
        return None
    context = ssl.create_default_context(cafile=ca_file)
    if cert_file:
        context.load_cert_chain(cert_file, key_file)
    if tls_insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@dataclass(frozen=True)
class Settings:
    """How to reach the broker and which session to open.

    ``password`` never appears in ``repr`` or in a log line.
    """

    host: str
    port: int
    protocol_version: int
    client_id: str
    clean_start: bool
    session_expiry: int
    keepalive: int
    username: str | None
    password: str | None = field(repr=False)
    tls: ssl.SSLContext | None = field(repr=False)
    receive_maximum: int | None
    connect_timeout: float

    @property
    def address(self) -> str:
        """``mqtt://host:port`` (or ``mqtts://``) without credentials, for messages."""
        scheme = "mqtts" if self.tls is not None else "mqtt"
        return f"{scheme}://{self.host}:{self.port}"

    @classmethod
    def make(
        cls,
        *,
        host: str,
        port: int | None,
        protocol_version: int | str,
        client_id: str | None,
        persistent: bool,
        session_expiry: int,
        keepalive: int,
        username: str | None,
        password: str | None,
        tls: bool | ssl.SSLContext,
        ca_file: str | None,
        cert_file: str | None,
        key_file: str | None,
        tls_insecure: bool,
        receive_maximum: int | None,
        connect_timeout: float,
        role: str,
    ) -> Settings:
        """Check the options and return the settings.

        Raises:
            ConfigError: a persistent session without a fixed ``client_id``, or a
                bad version, port, expiry or keepalive.
        """
        level = protocol_level(protocol_version)
        if persistent and not client_id:
            raise ConfigError(
                "a persistent session needs a fixed client_id: the broker keeps the session "
                "(subscriptions and unacknowledged messages) under that id",
                key="client_id",
            )
        if session_expiry < 0 or keepalive < 0:
            raise ConfigError("session_expiry and keepalive must be 0 or more", key="keepalive")
        if receive_maximum is not None and not 1 <= receive_maximum <= 65_535:
            raise ConfigError("receive_maximum must be 1..65535", key="receive_maximum")
        context = tls_context(
            tls, ca_file=ca_file, cert_file=cert_file, key_file=key_file, tls_insecure=tls_insecure
        )
        if port is None:
            port = 8883 if context is not None else 1883
        if not 0 < port < 65_536:
            raise ConfigError(f"port {port} is not a TCP port", key="port")
        return cls(
            host=host,
            port=port,
            protocol_version=level,
            client_id=client_id or f"cesdk-{role}-{uuid.uuid4().hex[:12]}",
            clean_start=not persistent,
            session_expiry=session_expiry if persistent else 0,
            keepalive=keepalive,
            # "" means none: what ${MQTT_USER:-} gives in a YAML file.
            username=username or None,
            password=password or None,
            tls=context,
            receive_maximum=receive_maximum,
            connect_timeout=connect_timeout,
        )


def parse_url(url: str) -> tuple[str, dict[str, Any]]:
    """Split ``mqtt[s]://[user[:password]@]host[:port]/topic?qos=1&...`` into a topic and options.

    Query keys: ``qos``, ``retain``, ``protocol_version``, ``client_id``,
    ``persistent``, ``session_expiry``, ``mode``, ``tls_insecure``, ``ca_file``.

    Raises:
        ValueError: not an ``mqtt://`` or ``mqtts://`` URL with a host.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not parts.hostname:
        raise ValueError(
            f"{parts.scheme}://{parts.hostname or ''}... is not mqtt://host:port/topic"
        )
    options: dict[str, Any] = {"host": parts.hostname}
    if parts.port is not None:
        options["port"] = parts.port
    if parts.username:
        options["username"] = unquote(parts.username)
    if parts.password:
        options["password"] = unquote(parts.password)
    if parts.scheme in ("mqtts", "ssl"):
        options["tls"] = True
    for key, values in parse_qs(parts.query).items():
        value = values[-1]
        if key in ("qos", "session_expiry", "keepalive"):
            options[key] = int(value)
        elif key in ("retain", "persistent", "tls_insecure"):
            options[key] = value.lower() in _TRUE
        elif key in ("protocol_version", "client_id", "mode", "ca_file", "format"):
            options[key] = value
        else:
            raise ValueError(f"unknown query parameter {key!r} in the MQTT URL")
    return unquote(parts.path.lstrip("/")), options
