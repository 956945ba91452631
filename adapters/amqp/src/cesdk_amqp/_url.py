"""Broker URLs: ``amqp://user:pass@host:port/vhost?queue=...``, password never shown."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["DEFAULT_URL", "redact", "split_options"]

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"


def redact(url: str) -> str:
    """Return ``url`` with its password replaced by ``***``, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def split_options(url: str, names: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """Take the query parameters in ``names`` out of ``url``.

    Returns the URL left for the client (its own parameters, such as ``heartbeat``,
    stay) and the parameters taken, by name.

    Raises:
        ValueError: not an ``amqp://`` or ``amqps://`` URL with a host.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise ValueError(
            f"{redact(url)!r} is not an AMQP URL: amqp://user:password@host:5672/vhost"
        )
    taken: dict[str, str] = {}
    kept: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in names:
            taken[name] = value
        else:
            kept.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(kept))), taken
