"""The CESQL error types (cesql/spec.md section 3.3), under :class:`cesdk.CESDKError`.

::

    CESDKError
    └── CESQLError                          .position: offset in the expression, if known
        ├── ParseError (ValueError)         raised by compile(); .line .column .excerpt
        ├── MathError (ArithmeticError)     division by zero, Integer overflow
        ├── CastError (ValueError)          an implicit or explicit cast that failed
        ├── MissingAttributeError (LookupError)   .attribute
        ├── MissingFunctionError (LookupError)    .function
        ├── FunctionEvaluationError         .function
        ├── GenericError                    anything else
        └── InvalidFunctionError (ValueError)     a user-defined function that breaks section 3.5

Only :class:`ParseError` and :class:`InvalidFunctionError` are raised. The others are
*returned*: evaluation is total, so each error travels in ``Result.errors`` next to a
value. Every class is named exactly as the spec names it, and carries the code the
CESQL test kit uses (``MathError.code == "math"``).
"""

from __future__ import annotations

from typing import ClassVar

from cesdk._errors import CESDKError

__all__ = [
    "CESQLError",
    "CastError",
    "FunctionEvaluationError",
    "GenericError",
    "InvalidFunctionError",
    "MathError",
    "MissingAttributeError",
    "MissingFunctionError",
    "ParseError",
]


class CESQLError(CESDKError):
    """Root of the CESQL errors.

    Attributes:
        message: what went wrong, without the position.
        position: the 0-based character offset in the expression where the error
            arose, or ``None`` when unknown.
    """

    code: ClassVar[str] = "generic"

    def __init__(self, message: str, *, position: int | None = None) -> None:
        self.message = message
        self.position = position
        super().__init__(message if position is None else f"{message} (at offset {position})")


class ParseError(CESQLError, ValueError):
    """An expression that is not valid CESQL (section 3.3, *ParseError*).

    ``str(error)`` shows the reason, where it is, and a caret under the offending
    character.

    Attributes:
        expression: the whole expression text.
        line: 1-based line of :attr:`position`.
        column: 1-based column of :attr:`position`.
        excerpt: the line of the expression with a caret under the position.
    """

    code: ClassVar[str] = "parse"

    def __init__(self, message: str, *, expression: str, position: int) -> None:
        position = max(0, min(position, len(expression)))
        before = expression[:position]
        self.expression = expression
        self.line = before.count("\n") + 1
        line_start = before.rfind("\n") + 1
        line_end = expression.find("\n", position)
        text = expression[line_start : len(expression) if line_end == -1 else line_end]
        self.column = position - line_start + 1
        # Long lines are cut to a window around the caret so the excerpt stays readable.
        offset = self.column - 1
        if len(text) > 72:
            start = max(0, offset - 36)
            text = ("..." if start else "") + text[start : start + 72]
            offset = offset - start + (3 if start else 0)
        self.excerpt = f"    {text}\n    {' ' * offset}^"
        where = (
            f"column {self.column}"
            if "\n" not in expression
            else f"line {self.line}, column {self.column}"
        )
        CESQLError.__init__(self, message, position=position)
        Exception.__init__(self, f"{message} at {where}:\n{self.excerpt}")


class MathError(CESQLError, ArithmeticError):
    """A failed arithmetic operation: division by zero, or an Integer overflow."""

    code: ClassVar[str] = "math"


class CastError(CESQLError, ValueError):
    """A value that cannot be cast to the type an operator or function needs."""

    code: ClassVar[str] = "cast"


class MissingAttributeError(CESQLError, LookupError):
    """An expression addressed an attribute that the event does not carry.

    Attributes:
        attribute: the attribute name.
    """

    code: ClassVar[str] = "missingAttribute"

    def __init__(self, attribute: str, *, position: int | None = None) -> None:
        self.attribute = attribute
        super().__init__(f"the event has no attribute {attribute!r}", position=position)


class MissingFunctionError(CESQLError, LookupError):
    """A call to a function that is not defined for that number of arguments.

    Attributes:
        function: the function name, upper case.
    """

    code: ClassVar[str] = "missingFunction"

    def __init__(self, function: str, message: str, *, position: int | None = None) -> None:
        self.function = function
        super().__init__(message, position=position)


class FunctionEvaluationError(CESQLError):
    """A function that failed, or returned something outside its declared type.

    Attributes:
        function: the function name, upper case, when known.
    """

    code: ClassVar[str] = "functionEvaluation"

    def __init__(
        self, message: str, *, function: str | None = None, position: int | None = None
    ) -> None:
        self.function = function
        super().__init__(message, position=position)


class GenericError(CESQLError):
    """Any error that none of the other types describes."""

    code: ClassVar[str] = "generic"


class InvalidFunctionError(CESQLError, ValueError):
    """A user-defined function whose definition breaks section 3.5 (raised, never returned)."""

    code: ClassVar[str] = "generic"
