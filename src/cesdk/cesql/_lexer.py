"""Split CESQL text into tokens (cesql/CESQLLexer.g4, cesql/spec.md section 2).

Keywords are case-insensitive. Spaces, tabs, carriage returns and newlines separate
tokens. Two choices of the grammar are kept as the parser's business rather than the
lexer's: the sign of an integer literal (``-1``) is a separate token, so ``5-1`` is a
subtraction rather than two literals in a row, and a word is only classified as an
attribute name or a function name once the parser sees whether ``(`` follows it.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from cesdk.cesql._errors import ParseError

__all__ = ["KEYWORDS", "Token", "tokenize"]

#: Reserved words; a keyword can never be an attribute or function name.
KEYWORDS: Final = frozenset({"AND", "OR", "XOR", "NOT", "LIKE", "EXISTS", "IN", "TRUE", "FALSE"})

# Longest operators first, so that "<=" is not read as "<" then "=".
_OPERATORS: Final = ("!=", "<>", "<=", ">=", "(", ")", ",", "*", "/", "%", "+", "-", "=", "<", ">")

_SPACE = re.compile(r"[ \t\r\n]+")
_WORD = re.compile(r"[A-Za-z0-9_]+")
_FUNCTION_NAME = re.compile(r"[A-Za-z][A-Za-z_]*")


class Token(NamedTuple):
    """One token.

    Attributes:
        kind: ``"INT"``, ``"STRING"``, ``"WORD"`` (an attribute or function name),
            ``"NAME_"`` (a function name with ``_``), a keyword in upper case, an
            operator such as ``"<="``, or ``"EOF"``.
        value: the integer of an ``INT``, the decoded text of a ``STRING``, the word
            as written for names and keywords.
        start: offset of the first character.
        end: offset just past the last character.
    """

    kind: str
    value: int | str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Return the tokens of ``text``, ending with an ``EOF`` token.

    Raises:
        ParseError: an unterminated string or a character CESQL does not use.
    """
    tokens: list[Token] = []
    at = 0
    size = len(text)
    while at < size:
        ch = text[at]
        if ch in " \t\r\n":
            at = _SPACE.match(text, at).end()  # type: ignore[union-attr]  # matches ch
            continue
        if ch == "'" or ch == '"':
            value, end = _read_string(text, at)
            tokens.append(Token("STRING", value, at, end))
            at = end
            continue
        word = _WORD.match(text, at)
        if word is not None:
            tokens.append(_word_token(text, word.group(), at, word.end()))
            at = word.end()
            continue
        for op in _OPERATORS:
            if text.startswith(op, at):
                tokens.append(Token(op, op, at, at + len(op)))
                at += len(op)
                break
        else:
            raise ParseError(f"unexpected character {ch!r}", expression=text, position=at) from None
    tokens.append(Token("EOF", "", size, size))
    return tokens


def _word_token(text: str, word: str, start: int, end: int) -> Token:
    if word.isdigit():
        # isdigit() also accepts non-ASCII digits; the word regex admits only 0-9.
        return Token("INT", int(word), start, end)
    upper = word.upper()
    if upper in KEYWORDS:
        return Token(upper, word, start, end)
    if "_" not in word:
        return Token("WORD", word, start, end)
    if _FUNCTION_NAME.fullmatch(word) is None:
        raise ParseError(
            f"{word!r} is neither an attribute name (letters and digits) nor a function "
            "name (a letter, then letters and '_')",
            expression=text,
            position=start,
        )
    return Token("NAME_", word, start, end)


def _read_string(text: str, start: int) -> tuple[str, int]:
    """Decode the string literal opening at ``start``; return its value and end offset.

    ``\\q`` (q the delimiting quote) and a doubled ``qq`` stand for the quote, ``\\\\``
    for one backslash; any other backslash pair is kept as written, so that LIKE
    patterns receive their ``\\%`` and ``\\_`` escapes intact (section 3.4.3).
    """
    quote = text[start]
    parts: list[str] = []
    at = start + 1
    size = len(text)
    while at < size:
        ch = text[at]
        if ch == "\\":
            if at + 1 >= size:
                break
            nxt = text[at + 1]
            parts.append(nxt if nxt == quote or nxt == "\\" else ch + nxt)
            at += 2
        elif ch == quote:
            if at + 1 < size and text[at + 1] == quote:
                parts.append(quote)
                at += 2
            else:
                return "".join(parts), at + 1
        else:
            parts.append(ch)
            at += 1
    raise ParseError(
        f"the string opened here has no closing {quote}", expression=text, position=start
    )
