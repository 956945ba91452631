"""The LIKE operator and its patterns (cesql/spec.md section 3.4.3).

``%`` matches any run of characters, ``_`` exactly one, and ``\\%``, ``\\_``, ``\\\\``
match ``%``, ``_`` and ``\\``. Any other character, including a backslash before
anything else, matches itself, case-sensitively. Common shapes become a plain string
method call; the rest, an anchored regular expression.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from cesdk.cesql._ast import Like
from cesdk.cesql._code import Code, fold, typed
from cesdk.cesql._errors import MissingAttributeError
from cesdk.cesql._types import MISSING, ErrorSink, Type, from_attribute, to_string

__all__ = ["compile_like", "like_matcher"]

_ANY = object()
_ONE = object()


def _parts(pattern: str) -> list[object]:
    """Split a pattern into literal strings, _ANY and _ONE, merging what can be merged."""
    parts: list[object] = []
    text: list[str] = []
    at = 0
    while at < len(pattern):
        ch = pattern[at]
        if ch == "\\" and at + 1 < len(pattern) and pattern[at + 1] in "%_\\":
            text.append(pattern[at + 1])
            at += 2
            continue
        if ch == "%" or ch == "_":
            if text:
                parts.append("".join(text))
                text = []
            wildcard = _ANY if ch == "%" else _ONE
            if not (wildcard is _ANY and parts and parts[-1] is _ANY):
                parts.append(wildcard)
        else:
            text.append(ch)
        at += 1
    if text:
        parts.append("".join(text))
    return parts


def _always(value: str, unused: object) -> bool:
    return True


def _regex(value: str, fullmatch: Callable[[str], re.Match[str] | None]) -> bool:
    return fullmatch(value) is not None


def like_matcher(pattern: str) -> tuple[Callable[[str, Any], bool], Any]:
    """Return ``(test, argument)``: ``test(value, argument)`` tells whether a String matches.

    The pair form lets the common cases be ``str.startswith(value, prefix)`` and the like:
    one C call, no Python frame.
    """
    parts = _parts(pattern)
    if not parts:
        return operator.eq, ""
    if _ONE not in parts:
        # Only literals and %: startswith, endswith and "in" are exact and much faster.
        if parts == [_ANY]:
            return _always, None
        if len(parts) == 1:
            return operator.eq, parts[0]
        if len(parts) == 2 and parts[1] is _ANY:
            return str.startswith, parts[0]
        if len(parts) == 2 and parts[0] is _ANY:
            return str.endswith, parts[1]
        if len(parts) == 3 and parts[0] is _ANY and parts[2] is _ANY:
            return operator.contains, parts[1]
    regex = "".join(
        ".*" if part is _ANY else "." if part is _ONE else re.escape(str(part)) for part in parts
    )
    return _regex, re.compile(regex, re.DOTALL).fullmatch


def compile_like(node: Like, operand: Code, checked: bool) -> Code:
    """Compile ``x [NOT] LIKE pattern``; ``checked`` as for ``compile_node``."""
    x = typed(operand, Type.STRING)
    matches, pattern = like_matcher(node.pattern)
    negated, xf = node.negated, x.fn
    if x.attribute is not None:
        name, at = x.attribute, x.start

        def like(a: Mapping[str, Any], e: ErrorSink) -> Any:
            v = a.get(name, MISSING)
            if v.__class__ is not str:
                if v is MISSING:
                    e.append(MissingAttributeError(name, position=at))
                    return False
                v = from_attribute(v)
                if v.__class__ is not str:
                    v = to_string(v, e)
            return not matches(v, pattern) if negated else matches(v, pattern)

    elif checked and x.may_fail:

        def like(a: Mapping[str, Any], e: ErrorSink) -> Any:
            n = len(e)
            v = xf(a, e)
            if len(e) != n:
                return False
            return not matches(v, pattern) if negated else matches(v, pattern)

    elif negated:

        def like(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return not matches(xf(a, e), pattern)

    else:

        def like(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return matches(xf(a, e), pattern)

    return fold(Code(like, Type.BOOLEAN, node.start, x.may_fail), x)
