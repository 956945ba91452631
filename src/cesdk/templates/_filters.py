"""Filters every cesdk template has, besides Jinja2's own (``truncate``, ``default``, ...)."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import orjson

__all__ = [
    "FILTERS",
    "escape_slack",
    "humanize",
    "json_text",
    "kubernetes_fields",
    "since",
    "timeformat",
    "to_datetime",
]

_SLACK_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape_slack(text: object) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack's mrkdwn requires, so text cannot mention or link.

    >>> escape_slack("<!channel> & <https://x|y>")
    '&lt;!channel&gt; &amp; &lt;https://x|y&gt;'
    """
    return str(text).translate(_SLACK_ESCAPES)


def to_datetime(value: object) -> _dt.datetime | None:
    """A datetime from a datetime (``ev.time``) or an RFC 3339 / ISO 8601 string; else ``None``."""
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
    if isinstance(value, str) and value:
        text = value.strip().replace("z", "Z").replace("t", "T")
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        head, sep, rest = text.partition(".")
        if sep:  # Python's parser takes at most six fraction digits
            digits = len(rest) - len(rest.lstrip("0123456789"))
            text = head + "." + rest[: min(digits, 6)] + rest[digits:]
        try:
            parsed = _dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.UTC)
    return None


def timeformat(value: object, fmt: str = "%Y-%m-%d %H:%M:%S UTC", tz: str = "UTC") -> str:
    """Format a time (datetime or RFC 3339 text) with ``strftime``; UTC unless ``tz`` names a zone.

    Text that is not a time is returned unchanged, so a template never fails on it.
    """
    moment = to_datetime(value)
    if moment is None:
        return "" if value is None else str(value)
    if tz != "UTC":
        from zoneinfo import ZoneInfo

        moment = moment.astimezone(ZoneInfo(tz))
    else:
        moment = moment.astimezone(_dt.UTC)
    return moment.strftime(fmt)


_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def humanize(value: object, parts: int = 2) -> str:
    """A duration in words: ``humanize(3725)`` is ``"1 hour 2 minutes"``.

    Takes seconds (int/float) or a ``timedelta``; ``parts`` limits how many units are shown.
    """
    if isinstance(value, _dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        return str(value)
    if seconds < 1:
        return "less than a second" if seconds >= 0 else "-" + humanize(-seconds, parts)
    remaining = int(seconds)
    words: list[str] = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            words.append(f"{count} {unit}{'' if count == 1 else 's'}")
        if len(words) == parts:
            break
    return " ".join(words)


def since(value: object, now: object = None, parts: int = 1) -> str:
    """How long ago a time was, in words: ``"5 minutes ago"``; ``""`` for a non-time."""
    moment = to_datetime(value)
    if moment is None:
        return ""
    reference = to_datetime(now) or _dt.datetime.now(_dt.UTC)
    delta = (reference - moment).total_seconds()
    if delta < 0:
        return "in " + humanize(-delta, parts)
    return humanize(delta, parts) + " ago"


def json_text(value: Any, indent: bool = True) -> str:
    """The value as JSON text (indented by default); bytes are shown as their length."""
    try:
        option = orjson.OPT_INDENT_2 if indent else 0
        return orjson.dumps(value, option=option | orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        if isinstance(value, (bytes, bytearray)):
            return f"<{len(value)} bytes>"
        return str(value)


FILTERS = {
    "humanize": humanize,
    "json": json_text,
    "since": since,
    "slack_escape": escape_slack,
    "timeformat": timeformat,
}


def _get(obj: object, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "", {})), None)


def kubernetes_fields(data: object) -> dict[str, Any]:
    """The fields a notification shows, from a core/v1 or events.k8s.io/v1 Event object.

    Keys: ``type reason kind name namespace message count first_seen last_seen controller
    action``; each ``None`` when the object lacks it, so templates can test it.
    """
    regarding = _first(_get(data, "regarding"), _get(data, "involvedObject")) or {}
    count = _first(
        _get(data, "series", "count"), _get(data, "count"), _get(data, "deprecatedCount")
    )
    return {
        "type": _get(data, "type"),
        "reason": _get(data, "reason"),
        "kind": _get(regarding, "kind"),
        "name": _get(regarding, "name"),
        "namespace": _first(_get(regarding, "namespace"), _get(data, "metadata", "namespace")),
        "message": _first(_get(data, "note"), _get(data, "message")),
        "count": count if isinstance(count, int) and not isinstance(count, bool) else None,
        "first_seen": _first(
            _get(data, "deprecatedFirstTimestamp"),
            _get(data, "firstTimestamp"),
            _get(data, "eventTime"),
        ),
        "last_seen": _first(
            _get(data, "series", "lastObservedTime"),
            _get(data, "deprecatedLastTimestamp"),
            _get(data, "lastTimestamp"),
            _get(data, "eventTime"),
        ),
        "controller": _first(
            _get(data, "reportingController"),
            _get(data, "reportingComponent"),
            _get(data, "source", "component"),
        ),
        "action": _get(data, "action"),
    }
