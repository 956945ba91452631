"""Label and field selectors, parsed as the apiserver parses them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cesdk_kubernetes.testing._status import bad_request

__all__ = ["Selector", "parse_field_selector", "parse_label_selector"]

Selector = Callable[[dict[str, Any]], bool]

_KEY = r"[A-Za-z0-9](?:[-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_EXISTS = re.compile(rf"^({_KEY})$")
_ABSENT = re.compile(rf"^!\s*({_KEY})$")
_EQUALS = re.compile(rf"^({_KEY})\s*(==|=|!=)\s*({_VALUE})$")
_SET = re.compile(rf"^({_KEY})\s+(in|notin)\s*\(([^()]*)\)$")
_COMPARE = re.compile(rf"^({_KEY})\s*(<|>)\s*(-?\d+)$")
_SET_VALUE = re.compile(rf"^{_VALUE}$")

# Field labels a real apiserver accepts under another name than their path.
_FIELD_ALIASES = {"source": "source.component"}


def _split_terms(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    terms, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            terms.append(text[start:index])
            start = index + 1
    terms.append(text[start:])
    return [term.strip() for term in terms if term.strip()]


def _label_term(term: str) -> Callable[[dict[str, str]], bool]:
    if match := _ABSENT.match(term):
        key = match.group(1)
        return lambda labels: key not in labels
    if match := _EXISTS.match(term):
        key = match.group(1)
        return lambda labels: key in labels
    if match := _EQUALS.match(term):
        key, op, value = match.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match := _SET.match(term):
        key, op, raw = match.groups()
        values = {v.strip() for v in raw.split(",")}
        if not all(_SET_VALUE.match(v) for v in values):
            raise bad_request(f"unable to parse requirement: invalid label value in {term!r}")
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if match := _COMPARE.match(term):
        key, op, number = match.groups()
        bound = int(number)

        def compare(labels: dict[str, str]) -> bool:
            try:
                have = int(labels[key])
            except (KeyError, ValueError):
                return False
            return have > bound if op == ">" else have < bound

        return compare
    raise bad_request(f"unable to parse requirement: {term!r} is not a label selector term")


def parse_label_selector(text: str | None) -> Selector | None:
    """Compile a ``labelSelector`` (``=``, ``==``, ``!=``, ``in``, ``notin``, ``key``, ``!key``).

    Raises:
        ApiStatusError: 400, the selector does not parse.
    """
    if not text or not text.strip():
        return None
    terms = [_label_term(term) for term in _split_terms(text)]

    def matches(obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(term(labels) for term in terms)

    return matches


def _split_escaped(text: str, separator: str) -> list[str]:
    r"""Split on ``separator`` unless it is escaped with a backslash (``\,``)."""
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def field_value(obj: dict[str, Any], path: str) -> str:
    """The string a field selector compares for the dotted ``path`` of ``obj``."""
    value: Any = obj
    for part in _FIELD_ALIASES.get(path, path).split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _field_term(term: str) -> Callable[[dict[str, Any]], bool]:
    for op in ("!=", "==", "="):
        key, found, value = term.partition(op)
        if found:
            key = key.strip()
            if not key:
                break
            wanted = value.strip()
            if op == "!=":
                return lambda obj: field_value(obj, key) != wanted
            return lambda obj: field_value(obj, key) == wanted
    raise bad_request(
        f"invalid selector: {term!r}; expected field=value, field==value or field!=value"
    )


def parse_field_selector(text: str | None) -> Selector | None:
    """Compile a ``fieldSelector``: comma-separated ``path=value``, ``==`` or ``!=`` terms.

    Any dotted path of the object can be selected (``type``, ``involvedObject.kind``,
    ``regarding.kind``, ``metadata.name``); a real apiserver accepts only the fields each
    resource indexes.

    Raises:
        ApiStatusError: 400, the selector does not parse.
    """
    if not text or not text.strip():
        return None
    terms = [_field_term(term.strip()) for term in _split_escaped(text, ",") if term.strip()]

    def matches(obj: dict[str, Any]) -> bool:
        return all(term(obj) for term in terms)

    return matches
