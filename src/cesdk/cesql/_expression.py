"""``compile()`` and the compiled :class:`Expression` (cesql/spec.md sections 1.2 and 4.1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cesdk._event import CloudEvent
from cesdk.cesql import _builtins  # noqa: F401  # installs the built-in functions
from cesdk.cesql._code import Code, Fn
from cesdk.cesql._compiler import compile_node
from cesdk.cesql._errors import CESQLError, GenericError
from cesdk.cesql._functions import Function, default_table, table_with
from cesdk.cesql._parser import parse
from cesdk.cesql._types import MISSING, ErrorSink, Result, Type, from_attribute

__all__ = ["Expression", "attributes_of", "compile"]


class _FailFastError(Exception):
    """Unwinds a fail-fast evaluation at the first error."""


class _FailFast(list[CESQLError]):
    """An error sink that stops evaluation at the first error (section 4.1, fail fast).

    A list, so that the operators' ``len(e)`` checks stay a C call; it is always empty.
    """

    __slots__ = ()

    def append(self, error: CESQLError, /) -> None:
        raise _FailFastError


_FAIL_FAST = _FailFast()


def attributes_of(event: CloudEvent | Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the attributes of an event (``time`` as RFC 3339 text).

    A plain mapping is copied with each value as CESQL sees it (section 3.2), so that
    values no CloudEvent could hold, such as an int beyond 32 bits, cannot leak through;
    ``None`` means unset, as in ``CloudEvent.from_attributes``.
    """
    if event.__class__ is CloudEvent:
        # The event's own attribute dict: `attributes` would wrap it in a new read-only
        # proxy on every call, which costs more than evaluating a typical filter.
        return event._attrs
    if isinstance(event, CloudEvent):
        return event.attributes
    if isinstance(event, Mapping):
        return {name: from_attribute(v) for name, v in event.items() if v is not None}
    raise TypeError(
        f"a CESQL expression evaluates a CloudEvent or a mapping of attribute names to "
        f"values, not {type(event).__name__}"
    )


class Expression:
    """A compiled CESQL expression; evaluating it never raises and never mutates the event.

    Attributes:
        text: the expression as written.
    """

    __slots__ = ("_fast", "_fn", "_type", "text")

    def __init__(self, text: str, fn: Fn, fast: Fn, type: Type) -> None:
        self.text = text
        self._fn = fn  # complete evaluation: every operator checks its operands
        self._fast = fast  # fail-fast: the first error unwinds, so nothing is checked
        self._type = type

    def evaluate(self, event: CloudEvent | Mapping[str, Any]) -> Result:
        """Evaluate the expression completely, collecting every error (section 4.1).

        Args:
            event: a CloudEvent, or a mapping of attribute names to values as
                ``CloudEvent.attributes`` holds them.

        Returns:
            The value (Boolean, Integer or String) and the errors met, in order.

        Example:
            >>> from cesdk import cesql
            >>> cesql.compile("sequence + 1").evaluate({"sequence": "41"})
            Result(value=42, errors=())
        """
        attributes = attributes_of(event)
        errors: list[CESQLError] = []
        try:
            value = self._fn(attributes, errors)
        except Exception as exc:
            # Every operator and function is total; reaching here is a cesdk bug, and
            # section 3.3 still asks for a value and an error rather than a crash.
            errors.append(GenericError(f"evaluation failed: {type(exc).__name__}: {exc}"))
            value = self._type.zero
        return Result(value, tuple(errors))

    def matches(self, event: CloudEvent | Mapping[str, Any]) -> bool:
        """Tell whether the event passes the expression as a filter (section 1.2).

        True only when the value is the Boolean TRUE and no error occurred. Evaluation
        stops at the first error (fail-fast mode, section 4.1).
        """
        # Inlined: calling attributes_of() is a measurable share of a filter's cost.
        attributes = event._attrs if event.__class__ is CloudEvent else attributes_of(event)
        try:
            return self._fast(attributes, _FAIL_FAST) is True
        except _FailFastError:
            return False
        except Exception:
            return False  # a cesdk bug; evaluate() reports it as a GenericError

    __call__ = matches

    def __repr__(self) -> str:
        return f"cesql.compile({self.text!r})"


def compile(
    expression: str, *, functions: Iterable[Function] | Function | None = None
) -> Expression:
    """Compile a CESQL expression.

    Unknown functions are not an error here: calling one evaluates to ``false`` with a
    :class:`MissingFunctionError`, as section 3.5 says.

    Args:
        expression: the CESQL text.
        functions: user-defined functions, on top of the built-ins and the ones added
            with :func:`register`.

    Returns:
        The compiled expression.

    Raises:
        ParseError: the text is not valid CESQL; the message shows where.
        InvalidFunctionError: ``functions`` clash with each other or with the built-ins.

    Example:
        >>> from cesdk import cesql
        >>> expr = cesql.compile("type LIKE 'io.k8s.%' AND subject IN ('pod/a', 'pod/b')")
        >>> expr.matches({"type": "io.k8s.event.warning", "subject": "pod/a"})
        True
    """
    if not isinstance(expression, str):
        raise TypeError(f"a CESQL expression is a str, not {type(expression).__name__}")
    if functions is None:
        table = default_table()
    elif isinstance(functions, Function):
        table = table_with([functions])
    else:
        table = table_with(functions)
    node = parse(expression)
    code = compile_node(node, table)
    fast = compile_node(node, table, checked=False)
    return Expression(expression, _root(code), _root(fast), code.type)


def _root(code: Code) -> Fn:
    if code.attribute is None:
        return code.fn
    read = code.fn

    # A bare attribute has no operator to give its zero value: section 3.2 says Boolean.
    def attribute(a: Mapping[str, Any], e: ErrorSink) -> Any:
        v = read(a, e)
        return False if v is MISSING else v

    return attribute
