"""Custom JSON bodies: a JSON template whose strings name event attributes and data.

Every string in the template may hold ``{field}`` placeholders: an attribute name
(``{type}``, ``{subject}``, an extension), ``{data}`` or a path into JSON data
(``{data.reason}``, ``{data.items.0}``), with ``{field:-default}`` for a field that may be
missing, and ``{{`` / ``}}`` for braces. A string that is exactly one placeholder keeps
the value's JSON type (``"{data}"`` inserts the whole data object). Example::

    {"text": "{type} on {subject:-?}: {data.reason}", "event": "{data}"}
"""

from __future__ import annotations

import base64
import re
from typing import Any

import orjson

import cesdk

__all__ = ["Template", "TemplateError"]

_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_MISSING = object()


class TemplateError(cesdk.PermanentDeliveryError):
    """The event lacks a field the template needs: retrying cannot help."""


def _lookup(event: cesdk.CloudEvent, name: str) -> Any:
    head, _, rest = name.partition(".")
    if head != "data":
        value = event.get(head, _MISSING)
        if value is _MISSING or rest:
            return _MISSING
        if isinstance(value, bytes):
            return base64.b64encode(value).decode()  # the canonical string of Binary
        return value if isinstance(value, str | int | bool) else str(value)
    if not event.has_data:
        return _MISSING
    value = event.data
    if isinstance(value, bytes):
        return _MISSING if rest else value.decode("utf-8", "replace")
    for step in rest.split(".") if rest else ():
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return _MISSING
    return value


class Template:
    """A JSON body template (see the module docstring for the placeholders).

    Args:
        template: any JSON value; its strings (keys and values) are filled in.
    """

    def __init__(self, template: Any) -> None:
        self.template = template
        self._check(template)

    def _check(self, node: Any) -> None:
        if isinstance(node, str):
            rest = _FIELD.sub("", node)
            if "{" in rest or "}" in rest:
                raise ValueError(f"template string {node!r} has unbalanced braces (use {{{{ }}}})")
        elif isinstance(node, dict):
            for key, value in node.items():
                self._check(key)
                self._check(value)
        elif isinstance(node, list):
            for item in node:
                self._check(item)
        elif not (node is None or isinstance(node, bool | int | float)):
            raise ValueError(f"a template holds JSON values only, not {type(node).__name__}")

    def render(self, event: cesdk.CloudEvent) -> Any:
        """Return the template filled in from ``event``.

        Raises:
            TemplateError: a placeholder without a default names a missing field.
        """
        return self._render(self.template, event)

    def _render(self, node: Any, event: cesdk.CloudEvent) -> Any:
        if isinstance(node, str):
            return self._string(node, event)
        if isinstance(node, dict):
            return {str(self._string(k, event)): self._render(v, event) for k, v in node.items()}
        if isinstance(node, list):
            return [self._render(item, event) for item in node]
        return node

    def _string(self, text: str, event: cesdk.CloudEvent) -> Any:
        whole = _FIELD.fullmatch(text)
        if whole is not None and whole.group(1) is not None:
            return self._value(whole.group(1), event)  # keeps the JSON type

        def field(match: re.Match[str]) -> str:
            if match.group(1) is None:
                return match.group(0)[0]
            value = self._value(match.group(1), event)
            if isinstance(value, bool):
                return "true" if value else "false"
            return value if isinstance(value, str) else orjson.dumps(value).decode()

        return _FIELD.sub(field, text)

    def _value(self, spec: str, event: cesdk.CloudEvent) -> Any:
        name, has_default, default = spec.partition(":-")
        value = _lookup(event, name.strip())
        if value is _MISSING or value is None:
            if has_default:
                return default
            raise TemplateError(f"the body template needs {{{name}}}, which event {event.id} lacks")
        return value
