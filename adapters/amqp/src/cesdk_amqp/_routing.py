"""Routing key templates: ``events.{type}`` filled from an event's attributes."""

from __future__ import annotations

import base64
import re
import string
from typing import Final

from cesdk import CloudEvent, PermanentDeliveryError

__all__ = ["RoutingKeyTemplate"]

_NAME: Final = re.compile(r"[a-z0-9]+")
_MAX_BYTES: Final = 255  # a routing key is an AMQP short string


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


class RoutingKeyTemplate:
    """A routing key with ``{attribute}`` fields, e.g. ``events.{type}``.

    A value is put in as its canonical text, dots and all, so a ``com.example.ping``
    event goes to ``events.com.example.ping``, which the topic binding
    ``events.com.example.#`` matches. A key without fields is used as it is (the
    empty key too, for fanout exchanges).

    Raises:
        ValueError: a field that is not an attribute name.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self.fields: list[str] = []
        for _, name, spec, conversion in string.Formatter().parse(template):
            if name is None:
                continue
            if not _NAME.fullmatch(name) or spec or conversion:
                raise ValueError(
                    f"routing key template {template!r}: {{{name}}} is not an attribute "
                    "name (lowercase letters and digits, no format spec)"
                )
            self.fields.append(name)
        self._static = template if not self.fields else None

    def render(self, event: CloudEvent) -> str:
        """Return the routing key for ``event``.

        Raises:
            PermanentDeliveryError: the event lacks an attribute the template names, or
                the key is longer than 255 bytes.
        """
        if self._static is not None:
            return self._static
        values: dict[str, str] = {}
        for name in self.fields:
            value = event.get(name)
            if value is None:
                raise PermanentDeliveryError(
                    f"routing key template {self.template!r} needs attribute {name!r}, "
                    f"which event {event.id!r} lacks"
                )
            values[name] = _text(value)
        key = self.template.format_map(values)
        if len(key.encode("utf-8")) > _MAX_BYTES:
            raise PermanentDeliveryError(
                f"routing key {key[:60]!r}... for event {event.id!r} is longer than "
                f"{_MAX_BYTES} bytes, the most AMQP allows"
            )
        return key
