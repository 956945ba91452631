"""CloudEvents SQL (CESQL 1.0): compile an expression once, evaluate it on many events.

Example:
    >>> import cesdk
    >>> from cesdk import cesql
    >>> expr = cesql.compile("type LIKE 'io.k8s.%' AND k8sreason = 'BackOff'")
    >>> ev = cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/prod",
    ...                       extensions={"k8sreason": "BackOff"})
    >>> expr.evaluate(ev)
    Result(value=True, errors=())
    >>> expr.matches(ev)
    True

Evaluation is total (section 3.3): it always returns a value, and every problem met on
the way (a missing attribute, a failed cast, a division by zero) is one of the error
classes below, carried in ``Result.errors`` rather than raised.
"""

from cesdk.cesql._errors import (
    CastError,
    CESQLError,
    FunctionEvaluationError,
    GenericError,
    InvalidFunctionError,
    MathError,
    MissingAttributeError,
    MissingFunctionError,
    ParseError,
)
from cesdk.cesql._expression import Expression, compile
from cesdk.cesql._functions import Function, function, register, unregister
from cesdk.cesql._types import Result

__all__ = [
    "CESQLError",
    "CastError",
    "Expression",
    "Function",
    "FunctionEvaluationError",
    "GenericError",
    "InvalidFunctionError",
    "MathError",
    "MissingAttributeError",
    "MissingFunctionError",
    "ParseError",
    "Result",
    "compile",
    "function",
    "register",
    "unregister",
]
