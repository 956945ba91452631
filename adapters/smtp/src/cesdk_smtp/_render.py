"""Templates for the SMTP sink: which ones, how options name them, what digests show."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import cesdk
from cesdk import templates

__all__ = [
    "TemplateSource",
    "digest_default",
    "digest_item",
    "load",
    "summary",
    "unpack_core_digest",
]

TemplateSource = str | os.PathLike[str] | Callable[[cesdk.CloudEvent], str] | templates.Template
"""Inline Jinja2 text, ``"file:<path>"`` or a ``Path`` (a file), a callable or a Template."""

SUMMARY_LENGTH = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def load(
    source: TemplateSource | None, *, default: str, escape: templates.Escape, option: str
) -> templates.Template:
    """Compile an option's template, or the shipped default when it is ``None``.

    Raises:
        cesdk.ConfigError: the template does not compile or its file cannot be read.
    """
    if source is None:
        return (
            templates.default(default) if default in templates.DEFAULTS else digest_default(default)
        )
    if isinstance(source, str) and source.startswith("file:"):
        return templates.compile(Path(source[len("file:") :]), escape=escape)
    return templates.compile(
        source, escape=escape, name=None if not isinstance(source, str) else option
    )


def digest_default(name: str) -> templates.Template:
    """A digest template shipped in this package: ``digest_subject|text|html``."""
    escape: templates.Escape = "html" if name.endswith("html") else "none"
    text = resources.files("cesdk_smtp").joinpath("templates", f"{name}.j2").read_text("utf-8")
    return templates.compile(text, escape=escape, name=f"cesdk_smtp:{name}")


def one_line(text: str) -> str:
    """``text`` on one line: control characters and runs of whitespace become one space."""
    return " ".join(_CONTROL.sub(" ", text).split())


def summary(event: cesdk.CloudEvent) -> str:
    """A short line about the event's content: a Kubernetes message, or the data."""
    data = event.data if event.has_data else None
    if templates.is_kubernetes_event(event):
        text = templates.kubernetes_fields(data).get("message") or ""
    elif data is None:
        text = ""
    elif isinstance(data, str):
        text = data
    elif isinstance(data, (bytes, bytearray)):
        text = f"<{len(data)} bytes>"
    else:
        text = json.dumps(data, ensure_ascii=False, separators=(", ", ": "), default=str)
    text = one_line(str(text))
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 3] + "..."


def digest_item(event: cesdk.CloudEvent, headline: str) -> dict[str, Any]:
    """What a digest template sees for one event (every key present, ``None`` if unset)."""
    return {
        "event": event,
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "subject": event.get("subject"),
        "time": event.get("time"),
        "headline": headline,
        "summary": summary(event),
        "data": event.data if event.has_data else None,
    }


def unpack_core_digest(event: cesdk.CloudEvent) -> Sequence[cesdk.CloudEvent] | None:
    """The events inside a ``dev.cesdk.digest`` summary from ``cesdk.Digest``, else None."""
    if event.type != "dev.cesdk.digest" or not isinstance(event.data, dict):
        return None
    held = event.data.get("events")
    if not isinstance(held, list) or not held:
        return None
    try:
        return [cesdk.formats.json.decode(json.dumps(item).encode()) for item in held]
    except (cesdk.DecodeError, TypeError, ValueError):
        return None
