"""The syntax tree the parser builds and the compiler turns into closures.

Every node records ``start``, the offset in the expression that errors point at: the
operator of an operation, the name of a call, the first character of anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "Binary",
    "Call",
    "Exists",
    "Identifier",
    "In",
    "Like",
    "Literal",
    "Logical",
    "Node",
    "Unary",
    "children",
]


@dataclass(frozen=True, slots=True)
class Literal:
    """A Boolean, Integer or String literal."""

    value: bool | int | str
    start: int


@dataclass(frozen=True, slots=True)
class Identifier:
    """An attribute reference, name in lower case."""

    name: str
    start: int


@dataclass(frozen=True, slots=True)
class Exists:
    """``EXISTS name``."""

    name: str
    start: int


@dataclass(frozen=True, slots=True)
class Unary:
    """``NOT x`` or ``-x``; ``op`` is ``"NOT"`` or ``"-"``."""

    op: str
    operand: Node
    start: int


@dataclass(frozen=True, slots=True)
class Binary:
    """An arithmetic or comparison operation; ``op`` as written (``"<>"`` stays ``"<>"``)."""

    op: str
    left: Node
    right: Node
    start: int


@dataclass(frozen=True, slots=True)
class Logical:
    """A chain of one logical operator, ``op`` being ``"AND"``, ``"OR"`` or ``"XOR"``.

    ``a AND b AND c`` is one node with three operands: the chain means the same under
    either grouping, and one node keeps the tree shallow.
    """

    op: str
    operands: tuple[Node, ...]
    start: int


@dataclass(frozen=True, slots=True)
class Like:
    """``x [NOT] LIKE 'pattern'``; ``pattern`` is the decoded string literal."""

    operand: Node
    pattern: str
    negated: bool
    start: int


@dataclass(frozen=True, slots=True)
class In:
    """``x [NOT] IN (y1, y2, ...)``."""

    operand: Node
    items: tuple[Node, ...]
    negated: bool
    start: int


@dataclass(frozen=True, slots=True)
class Call:
    """A function invocation; ``name`` in upper case."""

    name: str
    args: tuple[Node, ...]
    start: int


Node: TypeAlias = Literal | Identifier | Exists | Unary | Binary | Logical | Like | In | Call


def children(node: Node) -> tuple[Node, ...]:
    """Return the direct sub-expressions of a node."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Logical):
        return node.operands
    if isinstance(node, Like):
        return (node.operand,)
    if isinstance(node, In):
        return (node.operand, *node.items)
    if isinstance(node, Call):
        return node.args
    return ()
