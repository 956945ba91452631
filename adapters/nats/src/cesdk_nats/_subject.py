"""Subject templates: ``events.{type}`` filled from an event's attributes."""

from __future__ import annotations

import base64
import re
import string
from typing import Final

from cesdk import CloudEvent, PermanentDeliveryError

__all__ = ["SubjectTemplate"]

# Whitespace and the wildcards cannot appear in a subject a message is published to.
_NOT_IN_TOKEN: Final = re.compile(r"[\s*>]")
_NAME: Final = re.compile(r"[a-z0-9]+")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


class SubjectTemplate:
    """A subject with ``{attribute}`` fields, e.g. ``events.{type}`` or ``k8s.{subject}``.

    Each value's whitespace, ``*`` and ``>`` become ``_``; its dots stay, so a type
    ``com.example.ping`` gives the subject ``events.com.example.ping``, which
    ``events.com.example.>`` matches.

    Raises:
        ValueError: a field that is not an attribute name, or an empty template.
    """

    def __init__(self, template: str) -> None:
        if not template.strip():
            raise ValueError("the subject template is empty")
        self.template = template
        self.fields: list[str] = []
        for _, name, spec, conversion in string.Formatter().parse(template):
            if name is None:
                continue
            if not _NAME.fullmatch(name) or spec or conversion:
                raise ValueError(
                    f"subject template {template!r}: {{{name}}} is not an attribute name "
                    "(lowercase letters and digits, no format spec)"
                )
            self.fields.append(name)
        self._static = template if not self.fields else None

    def render(self, event: CloudEvent) -> str:
        """Return the subject for ``event``.

        Raises:
            PermanentDeliveryError: the event lacks an attribute the template names.
        """
        if self._static is not None:
            return self._static
        values: dict[str, str] = {}
        for name in self.fields:
            value = event.get(name)
            if value is None:
                raise PermanentDeliveryError(
                    f"subject template {self.template!r} needs attribute {name!r}, "
                    f"which event {event.id!r} lacks"
                )
            values[name] = _NOT_IN_TOKEN.sub("_", _text(value)) or "_"
        return self.template.format_map(values)
