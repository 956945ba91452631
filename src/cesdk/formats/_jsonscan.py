"""Find duplicate member names at the top level of JSON objects.

orjson, like most fast parsers, keeps the last of duplicate names silently. The
CloudEvents spec says each context attribute MUST appear at most once (spec.md "Context
Attributes"), so the JSON decoder looks for duplicates here. The common case costs a
few ``bytes.count`` calls; the exact scan below runs only when those cannot rule a
duplicate out.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

__all__ = ["duplicate_in_batch", "find_duplicate_name"]

_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_TOKEN = re.compile(r'[{}\[\]]|"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"[^,}\]\s]+")


_PATTERNS: dict[frozenset[str], re.Pattern[bytes]] = {}
_ESCAPE = b"\\u"


def _pattern(names: frozenset[str]) -> re.Pattern[bytes]:
    """One regex finding every quoted occurrence of the names."""
    pattern = _PATTERNS.get(names)
    if pattern is None:
        quoted = b"|".join(
            re.escape(name.encode("utf-8", "replace"))
            for name in sorted(names, key=len, reverse=True)
        )
        pattern = re.compile(b'"(?:' + quoted + b')"')
        if len(_PATTERNS) < 1024:
            _PATTERNS[names] = pattern
    return pattern


def find_duplicate_name(raw: bytes, objects: Sequence[dict[str, Any]]) -> str | None:
    """Return a member name that occurs twice in one top-level object, else ``None``.

    ``raw`` is valid JSON (already parsed into ``objects``): one object, or an array of
    objects for the batch format. A duplicate name needs its quoted form to occur more
    often in ``raw`` than the objects hold it, unless written with ``\\u`` escapes; one
    regex pass counts both, and only when it cannot rule a duplicate out does the exact
    (slower) scan run.
    """
    if _ESCAPE in raw:
        pass  # a name may be spelled with escapes: only the exact scan can tell
    elif len(objects) == 1:
        names = frozenset(objects[0])
        if len(_pattern(names).findall(raw)) == len(names):
            return None
    else:
        expected: Counter[bytes] = Counter()
        for obj in objects:
            expected.update(b'"' + name.encode("utf-8", "replace") + b'"' for name in obj)
        found = _pattern(frozenset(n for obj in objects for n in obj)).findall(raw)
        if Counter(found) == expected:
            return None
    return _exact_scan(raw.decode("utf-8"))


def _skip_value(text: str, at: int) -> int:
    first = text[at]
    if first == '"':
        return _STRING.match(text, at).end()  # type: ignore[union-attr]  # valid JSON
    if first not in "{[":
        return _SCALAR.match(text, at).end()  # type: ignore[union-attr]  # valid JSON
    depth = 0
    for token in _TOKEN.finditer(text, at):
        t = token.group()
        if t in "{[":
            depth += 1
        elif t in "}]":
            depth -= 1
            if depth == 0:
                return token.end()
    return len(text)


def _scan_object(text: str, at: int) -> tuple[str | None, int]:
    """Scan the object at ``at``; return a duplicate name (or None) and the end offset."""
    seen: set[str] = set()
    at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]  # matches ""
    if text[at] == "}":
        return None, at + 1
    while True:
        key_match = _STRING.match(text, at)
        assert key_match is not None  # valid JSON: a member starts with its name
        key = json.loads(key_match.group())
        if key in seen:
            return key, at
        seen.add(key)
        at = _WS.match(text, key_match.end()).end() + 1  # type: ignore[union-attr]
        at = _WS.match(text, at).end()  # type: ignore[union-attr]
        at = _skip_value(text, at)
        at = _WS.match(text, at).end()  # type: ignore[union-attr]
        if text[at] == "}":
            return None, at + 1
        at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]


def _exact_scan(text: str) -> str | None:
    found = duplicate_in_batch(text)
    return None if found is None else found[0]


def duplicate_in_batch(text: str) -> tuple[str, int] | None:
    """Return the first duplicated name and the index of its object (0 for one object)."""
    at = _WS.match(text).end()  # type: ignore[union-attr]  # matches ""
    if text[at] == "{":
        dup = _scan_object(text, at)[0]
        return None if dup is None else (dup, 0)
    # A batch: an array of objects.
    at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
    index = 0
    while at < len(text) and text[at] != "]":
        if text[at] == "{":
            dup, at = _scan_object(text, at)
            if dup is not None:
                return dup, index
            index += 1
        else:
            at = _skip_value(text, at)
        at = _WS.match(text, at).end()  # type: ignore[union-attr]
        if at < len(text) and text[at] == ",":
            at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
    return None
