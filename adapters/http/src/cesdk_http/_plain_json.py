"""Plain-JSON webhooks (GitHub, Alertmanager, ...) wrapped into CloudEvents.

Each attribute is a small template: literal text with ``{...}`` fields taken from the
request, and ``{{`` / ``}}`` for braces. A field is ``header.NAME``, ``query.NAME``,
``body.a.b.0`` (a path into the JSON body), or ``path``; ``{field:-text}`` gives a
default for a field that is missing. Examples::

    type:    com.github.{header.x-github-event}
    source:  https://github.com/{body.repository.full_name:-unknown}
    id:      {header.x-github-delivery}
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson

import cesdk

__all__ = ["JsonRequest", "JsonWebhook", "TemplateError"]

_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_KINDS = ("header", "query", "body", "path")


class TemplateError(ValueError):
    """A template field that the request does not have.

    Attributes:
        attribute: the CloudEvents attribute being built.
    """

    def __init__(self, attribute: str, message: str) -> None:
        self.attribute = attribute
        super().__init__(f"{attribute}: {message}")


@dataclass(frozen=True, slots=True)
class JsonRequest:
    """What a template may read: headers (lowercase names), query, path and JSON body."""

    headers: Mapping[str, str]
    query: bytes
    path: str
    body: Any


def _check(template: str, attribute: str) -> None:
    for match in _FIELD.finditer(template):
        field = match.group(1)
        if field is None:
            continue
        name = field.split(":-", 1)[0]
        kind = name.split(".", 1)[0]
        if kind not in _KINDS or (kind != "path" and "." not in name):
            raise ValueError(
                f"{attribute} template {template!r}: field {{{field}}} is not header.NAME, "
                "query.NAME, body.PATH or path"
            )
    leftover = _FIELD.sub("", template)
    if "{" in leftover or "}" in leftover:
        raise ValueError(f"{attribute} template {template!r}: unbalanced braces (use {{{{ }}}})")


def _lookup(request: JsonRequest, name: str) -> Any:
    kind, _, rest = name.partition(".")
    if kind == "path":
        return request.path
    if kind == "header":
        return request.headers.get(rest.lower())
    if kind == "query":
        return dict(parse_qsl(request.query.decode("latin-1"))).get(rest)
    value: Any = request.body
    for step in rest.split("."):
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def render(template: str, request: JsonRequest, attribute: str) -> str:
    """Fill in a template from the request.

    Raises:
        TemplateError: a field without a default is missing from the request.
    """

    def field(match: re.Match[str]) -> str:
        text = match.group(0)
        if match.group(1) is None:
            return text[0]  # an escaped brace
        name, has_default, default = match.group(1).partition(":-")
        value = _lookup(request, name)
        if value is None or value == "":
            if has_default:
                return default
            raise TemplateError(attribute, f"the request has no {name}")
        if isinstance(value, dict | list):
            return orjson.dumps(value).decode()
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return _FIELD.sub(field, template)


class JsonWebhook:
    """How a plain-JSON request becomes a CloudEvent: one template per attribute.

    Args:
        type: the event type.
        source: the event source; the request path by default.
        id: the event id; by default the ``webhook-id`` header (Standard Webhooks
            senders keep it across retries, so duplicates are recognised), else a new
            UUID.
        subject: the subject, if any.
        time: the time (RFC 3339), if any; the time of receipt is not invented.
    """

    def __init__(
        self,
        *,
        type: str = "dev.cesdk.webhook",
        source: str = "{path}",
        id: str | None = None,
        subject: str | None = None,
        time: str | None = None,
    ) -> None:
        self.templates = {"type": type, "source": source, "id": id, "subject": subject}
        self.templates["time"] = time
        for attribute, template in self.templates.items():
            if template is not None:
                _check(template, attribute)

    def event(self, request: JsonRequest) -> cesdk.CloudEvent:
        """Build the event.

        Raises:
            TemplateError: a template field is missing from the request.
            cesdk.InvalidEventError: the values do not make a valid event.
        """
        attributes: dict[str, Any] = {}
        for attribute, template in self.templates.items():
            if template is not None:
                attributes[attribute] = render(template, request, attribute)
        if "id" not in attributes:
            attributes["id"] = request.headers.get("webhook-id") or str(uuid.uuid4())
        attributes.setdefault("time", None)
        return cesdk.CloudEvent(**attributes, data=request.body, datacontenttype="application/json")


def parse_body(body: bytes) -> Any:
    """Return the JSON value of a body.

    Raises:
        ValueError: the body is not JSON.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
