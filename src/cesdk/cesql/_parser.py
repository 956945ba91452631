"""A recursive-descent, precedence-climbing parser for CESQL (cesql/CESQLParser.g4).

Precedence, tightest first, as the grammar orders its alternatives (and section 3.6):

1. function calls, literals, attributes, ``( ... )``, ``EXISTS name``
2. prefix ``NOT`` and ``-`` (their operand is another item of level 1 or 2)
3. ``[NOT] LIKE 'pattern'``
4. ``[NOT] IN (set)``
5. ``*`` ``/`` ``%``, left-associative
6. ``+`` ``-``, left-associative
7. ``=`` ``!=`` ``<>`` ``>=`` ``<=`` ``>`` ``<``, left-associative
8. ``AND`` ``OR`` ``XOR``, one level, right-associative (``<assoc=right>`` in the grammar):
   ``a AND b OR c`` is ``a AND (b OR c)``.
"""

from __future__ import annotations

from typing import Final

from cesdk.cesql._ast import (
    Binary,
    Call,
    Exists,
    Identifier,
    In,
    Like,
    Literal,
    Logical,
    Node,
    Unary,
    children,
)
from cesdk.cesql._errors import ParseError
from cesdk.cesql._lexer import Token, tokenize
from cesdk.cesql._types import INT32_MAX, INT32_MIN

__all__ = ["MAX_DEPTH", "parse"]

#: The deepest tree accepted; deeper ones would exhaust Python's stack when compiled
#: or evaluated, and no hand-written filter comes close.
MAX_DEPTH: Final = 128
# Parentheses and prefix operators nested deeper than this are refused while parsing.
_MAX_NESTING: Final = 64

_LIKE: Final = 7
_IN: Final = 6
_BINARY: Final = {
    "*": 5,
    "/": 5,
    "%": 5,
    "+": 4,
    "-": 4,
    "=": 3,
    "!=": 3,
    "<>": 3,
    ">=": 3,
    "<=": 3,
    ">": 3,
    "<": 3,
}
_LOGICAL: Final = frozenset({"AND", "OR", "XOR"})


def parse(text: str) -> Node:
    """Parse a CESQL expression into its syntax tree.

    Raises:
        ParseError: the text is not a valid expression.
    """
    parser = _Parser(text)
    node = parser.logical()
    token = parser.peek()
    if token.kind != "EOF":
        if token.kind == ")":
            parser.fail("this ')' closes no '('", token)
        parser.fail(f"expected an operator or the end of the expression, found {_describe(token)}")
    _check_depth(node, text)
    return node


class _Parser:
    __slots__ = ("at", "nesting", "text", "tokens")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.at = 0
        self.nesting = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.tokens[self.at]
        if token.kind != "EOF":
            self.at += 1
        return token

    def expect(self, kind: str, what: str) -> Token:
        token = self.peek()
        if token.kind != kind:
            self.fail(f"expected {what}, found {_describe(token)}")
        return self.take()

    def fail(self, message: str, token: Token | None = None) -> None:
        token = token or self.peek()
        raise ParseError(message, expression=self.text, position=token.start)

    # -- levels -------------------------------------------------------------------

    def logical(self) -> Node:
        """Parse level 8: a right-associative chain of AND, OR and XOR."""
        operands = [self.binary(0)]
        operators: list[Token] = []
        while self.peek().kind in _LOGICAL:
            operators.append(self.take())
            operands.append(self.binary(0))
        node = operands[-1]
        for op, left in zip(reversed(operators), reversed(operands[:-1]), strict=True):
            if isinstance(node, Logical) and node.op == op.kind:
                node = Logical(op.kind, (left, *node.operands), op.start)
            else:
                node = Logical(op.kind, (left, node), op.start)
        return node

    def binary(self, min_prec: int) -> Node:
        """Parse levels 3 to 7 by precedence climbing."""
        left = self.unary()
        while True:
            token = self.peek()
            kind = token.kind
            negated = False
            if kind == "NOT" and self.peek(1).kind in ("LIKE", "IN"):
                negated = True
                kind = self.peek(1).kind
            if kind == "LIKE":
                if min_prec > _LIKE:
                    return left
                self.take()
                if negated:
                    self.take()
                pattern = self.peek()
                if pattern.kind != "STRING":
                    self.fail(
                        f"the pattern of LIKE must be a string literal, found {_describe(pattern)}"
                    )
                self.take()
                left = Like(left, str(pattern.value), negated, token.start)
            elif kind == "IN":
                if min_prec > _IN:
                    return left
                self.take()
                if negated:
                    self.take()
                left = In(left, self.set_items(), negated, token.start)
            elif kind in _BINARY:
                prec = _BINARY[kind]
                if prec < min_prec:
                    return left
                self.take()
                left = Binary(kind, left, self.binary(prec + 1), token.start)
            elif kind == "NOT":
                self.fail("NOT between two operands must be followed by LIKE or IN", token)
            else:
                return left

    def set_items(self) -> tuple[Node, ...]:
        self.expect("(", "'(' opening the set of IN")
        if self.peek().kind == ")":
            self.fail("the set of IN needs at least one element")
        items = [self.nested()]
        while self.peek().kind == ",":
            self.take()
            items.append(self.nested())
        self.expect(")", "',' or the ')' closing the set of IN")
        return tuple(items)

    def nested(self) -> Node:
        self.nesting += 1
        if self.nesting > _MAX_NESTING:
            self.fail(f"the expression nests more than {_MAX_NESTING} levels deep")
        node = self.logical()
        self.nesting -= 1
        return node

    def unary(self) -> Node:
        """Parse levels 1 and 2."""
        token = self.take()
        kind = token.kind
        if kind == "NOT" or kind == "-" or kind == "+":
            following = self.peek()
            if kind != "NOT" and following.kind == "INT" and following.start == token.end:
                # The grammar's integer-literal carries its sign: "-2147483648" is valid.
                self.take()
                value = following.value if kind == "+" else -int(following.value)
                return self.integer(int(value), token)
            if kind == "+":
                self.fail("'+' is a binary operator; CESQL has no unary plus", token)
            self.nesting += 1
            if self.nesting > _MAX_NESTING:
                self.fail(f"the expression nests more than {_MAX_NESTING} levels deep", token)
            operand = self.unary()
            self.nesting -= 1
            return Unary("NOT" if kind == "NOT" else "-", operand, token.start)
        if kind == "INT":
            return self.integer(int(token.value), token)
        if kind == "STRING":
            return Literal(str(token.value), token.start)
        if kind == "TRUE" or kind == "FALSE":
            return Literal(kind == "TRUE", token.start)
        if kind == "(":
            node = self.nested()
            self.expect(")", f"the ')' closing the '(' at {_where(self.text, token.start)}")
            return node
        if kind == "EXISTS":
            name = self.peek()
            if name.kind != "WORD":
                self.fail(f"EXISTS needs an attribute name, found {_describe(name)}")
            self.take()
            return Exists(str(name.value).lower(), token.start)
        if kind == "WORD" or kind == "NAME_":
            if self.peek().kind == "(":
                return self.call(token)
            if kind == "NAME_":
                self.fail(
                    f"{token.value!r} is not an attribute name (letters and digits only); "
                    "a function call needs '('",
                    token,
                )
            return Identifier(str(token.value).lower(), token.start)
        self.fail(f"expected an expression, found {_describe(token)}", token)
        raise AssertionError("unreachable")  # fail() always raises

    def integer(self, value: int, token: Token) -> Literal:
        if not INT32_MIN <= value <= INT32_MAX:
            self.fail(
                f"the integer {value} is outside the 32-bit range [{INT32_MIN}, {INT32_MAX}]",
                token,
            )
        return Literal(value, token.start)

    def call(self, name: Token) -> Call:
        text = str(name.value)
        if not text.replace("_", "").isalpha():
            self.fail(f"{text!r} is not a function name: a letter, then letters and '_'", name)
        self.take()  # the "("
        args: list[Node] = []
        if self.peek().kind != ")":
            args.append(self.nested())
            while self.peek().kind == ",":
                self.take()
                args.append(self.nested())
        self.expect(")", f"',' or the ')' closing the arguments of {text.upper()}")
        return Call(text.upper(), tuple(args), name.start)


def _describe(token: Token) -> str:
    if token.kind == "EOF":
        return "the end of the expression"
    if token.kind == "STRING":
        return f"the string {token.value!r}"
    if token.kind == "INT":
        return f"the integer {token.value}"
    return repr(token.value)


def _where(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"column {column}" if "\n" not in text else f"line {line}, column {column}"


def _check_depth(root: Node, text: str) -> None:
    """Refuse trees deeper than MAX_DEPTH (a long chain like ``1+1+...+1`` nests too)."""
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(
                f"the expression nests more than {MAX_DEPTH} operations deep",
                expression=text,
                position=node.start,
            )
        stack.extend((child, depth + 1) for child in children(node))
