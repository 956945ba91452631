"""Topic templates: ``events/{type}`` filled from an event's attributes."""

from __future__ import annotations

import base64
import re
import string
from typing import Final

from cesdk import CloudEvent, ConfigError, PermanentDeliveryError

__all__ = ["TopicTemplate", "check_filter"]

_NAME: Final = re.compile(r"[a-z0-9]+")
# MQTT 5.0 section 1.5.4: a UTF-8 string holds at most 65,535 bytes.
_MAX_TOPIC: Final = 65_535


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def _topic_problem(topic: str, *, empty_levels: bool) -> str | None:
    """Return what makes ``topic`` unusable as a PUBLISH topic name, or ``None``."""
    if not topic:
        return "it is empty"
    if "+" in topic or "#" in topic:
        return "it holds a wildcard (+ or #), which only topic filters may (MQTT 5.0 4.7.1)"
    if "\x00" in topic:
        return "it holds U+0000, which MQTT topic names must not (MQTT 5.0 4.7.3)"
    if not empty_levels and "" in topic.split("/"):
        return "it has an empty level (a leading, trailing or doubled /)"
    if len(topic.encode("utf-8")) > _MAX_TOPIC:
        return f"it is longer than {_MAX_TOPIC} bytes of UTF-8 (MQTT 5.0 1.5.4)"
    return None


def check_filter(topic_filter: str) -> None:
    """Check a subscription's topic filter (MQTT 5.0 section 4.7.1).

    Raises:
        ConfigError: an empty filter, or a wildcard that is not a whole level.
    """
    if not topic_filter:
        raise ConfigError("a topic filter is empty", key="topics")
    levels = topic_filter.split("/")
    for n, level in enumerate(levels):
        if ("#" in level and (level != "#" or n != len(levels) - 1)) or (
            "+" in level and level != "+"
        ):
            raise ConfigError(
                f"topic filter {topic_filter!r}: + must be a whole level and # a whole last "
                "level (MQTT 5.0 4.7.1)",
                key="topics",
            )


class TopicTemplate:
    """A topic with ``{attribute}`` fields, e.g. ``events/{type}`` or ``k8s/{subject}``.

    Values keep their ``/``, so a subject ``pod/web-1`` in ``k8s/{subject}`` gives
    ``k8s/pod/web-1`` (two levels). A rendered topic with a wildcard (``+``, ``#``),
    U+0000 or an empty level (a value that starts or ends with ``/``, or is empty) is
    refused with ``PermanentDeliveryError``: publishing it would fail or land where no
    one expects it.

    Raises:
        ConfigError: a field that is not an attribute name, an empty template, or a
            fixed topic that cannot be published to.
    """

    def __init__(self, template: str) -> None:
        if not template.strip():
            raise ConfigError("the topic is empty", key="topic")
        self.template = template
        self.fields: list[str] = []
        for _, name, spec, conversion in string.Formatter().parse(template):
            if name is None:
                continue
            if not _NAME.fullmatch(name) or spec or conversion:
                raise ConfigError(
                    f"topic template {template!r}: {{{name}}} is not an attribute name "
                    "(lowercase letters and digits, no format spec)",
                    key="topic",
                )
            self.fields.append(name)
        self._static = template if not self.fields else None
        if self._static is not None:
            problem = _topic_problem(self._static, empty_levels=True)
            if problem:
                raise ConfigError(f"cannot publish to topic {template!r}: {problem}", key="topic")

    def render(self, event: CloudEvent) -> str:
        """Return the topic for ``event``.

        Raises:
            PermanentDeliveryError: the event lacks an attribute the template names, or
                its values make a topic that cannot be published to.
        """
        if self._static is not None:
            return self._static
        values: dict[str, str] = {}
        for name in self.fields:
            value = event.get(name)
            if value is None:
                raise PermanentDeliveryError(
                    f"topic template {self.template!r} needs attribute {name!r}, "
                    f"which event {event.id!r} lacks"
                )
            values[name] = _text(value)
        topic = self.template.format_map(values)
        problem = _topic_problem(topic, empty_levels=False)
        if problem:
            raise PermanentDeliveryError(
                f"topic template {self.template!r} gives {topic[:200]!r} for event "
                f"{event.id!r}, and {problem}"
            )
        return topic
