"""Function invocations (cesql/spec.md sections 2.4, 3.5 and 3.7).

The function is chosen at compile time by name and arity; a call nothing matches
compiles to ``false`` and a :class:`MissingFunctionError`. Arguments are cast to the
parameter types. A user-defined function runs behind a guard that turns an exception
or a value outside its declared type into the zero value and a
:class:`FunctionEvaluationError` (section 3.5.3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from cesdk.cesql._ast import Call
from cesdk.cesql._code import Code, fold, may_fail, typed
from cesdk.cesql._errors import CESQLError, FunctionEvaluationError, MissingFunctionError
from cesdk.cesql._functions import Function, FunctionTable
from cesdk.cesql._types import INT32_MAX, INT32_MIN, MISSING, ErrorSink, Result, Type, Value

__all__ = ["compile_call"]

# The built-ins that can report an error; the others are total on their parameter types.
_FALLIBLE: Final = frozenset({"LEFT", "RIGHT", "SUBSTRING", "ABS", "INT", "BOOL"})


def compile_call(
    node: Call, args: list[Code], functions: FunctionTable, checked: bool = True
) -> Code:
    """Compile a call of ``node.name`` with the compiled arguments."""
    fn = functions.resolve(node.name, len(args))
    if fn is None:
        return _missing_function(node, len(args), functions)
    arguments = [typed(arg, fn.parameter_type(i)) for i, arg in enumerate(args)]
    fns = [arg.fn for arg in arguments]
    check = checked and may_fail(*arguments)
    impl = fn.implementation if fn.builtin else _guarded(fn)
    zero, start = fn.returns.zero, node.start

    if len(fns) == 1 and args[0].attribute is not None:
        # FN(attr), the usual shape: read the attribute inline; anything but a value of
        # the parameter's type takes the typed read, which reports and casts.
        f0, name = fns[0], args[0].attribute
        param = fn.parameter_type(0)
        ready = str if param is Type.ANY else param.value

        def call(a: Mapping[str, Any], e: ErrorSink) -> Any:
            v = a.get(name, MISSING)
            if v.__class__ is not ready:
                n = len(e)
                v = f0(a, e)
                if len(e) != n:
                    return zero
            r = impl(v)
            return _report(r, e, start) if r.__class__ is Result else r

    elif len(fns) == 1 and not check:
        f0 = fns[0]

        def call(a: Mapping[str, Any], e: ErrorSink) -> Any:
            r = impl(f0(a, e))
            return _report(r, e, start) if r.__class__ is Result else r

    elif len(fns) == 1:
        f0 = fns[0]

        def call(a: Mapping[str, Any], e: ErrorSink) -> Any:
            n = len(e)
            v = f0(a, e)
            if len(e) != n:
                return zero
            r = impl(v)
            return _report(r, e, start) if r.__class__ is Result else r

    elif not check:

        def call(a: Mapping[str, Any], e: ErrorSink) -> Any:
            r = impl(*[f(a, e) for f in fns])
            return _report(r, e, start) if r.__class__ is Result else r

    else:

        def call(a: Mapping[str, Any], e: ErrorSink) -> Any:
            n = len(e)
            values = [f(a, e) for f in fns]
            if len(e) != n:
                return zero  # a failed argument: the function is not called (section 3.3)
            r = impl(*values)
            return _report(r, e, start) if r.__class__ is Result else r

    fails = may_fail(*arguments) or not fn.builtin or fn.name in _FALLIBLE
    code = Code(call, fn.returns, start, fails)
    # Built-ins are pure, so a call on constants is computed once; user code may not be.
    return fold(code, *arguments) if fn.builtin else code


def _report(result: Result, errors: ErrorSink, position: int) -> Value:
    for error in result.errors:
        if error.position is None:
            error.position = position
        errors.append(error)
    return result.value


def _missing_function(node: Call, arity: int, functions: FunctionTable) -> Code:
    known = functions.overloads(node.name)
    message = f"no function {node.name} takes {arity} argument{'' if arity == 1 else 's'}"
    if known:
        message += "; defined: " + ", ".join(fn.signature() for fn in known)
    error = MissingFunctionError(node.name, message, position=node.start)

    def missing(a: Mapping[str, Any], e: ErrorSink) -> Any:
        e.append(error)
        return False  # section 3.5: a call that cannot be dispatched is false

    return Code(missing, Type.BOOLEAN, node.start)


def _valid(value: object, returns: Type) -> bool:
    if returns is Type.INTEGER:
        return value.__class__ is int and INT32_MIN <= value <= INT32_MAX
    return value.__class__ is returns.value


def _guarded(fn: Function) -> Callable[..., Any]:
    user, name, returns, zero = fn.implementation, fn.name, fn.returns, fn.returns.zero
    kind = {Type.BOOLEAN: "Boolean", Type.INTEGER: "32-bit Integer", Type.STRING: "String"}[returns]

    def failed(message: str, *errors: CESQLError) -> Result:
        return Result(zero, (*errors, FunctionEvaluationError(message, function=name)))

    def guarded(*args: Value) -> Any:
        try:
            r = user(*args)
            if r.__class__ is not Result:
                if _valid(r, returns):
                    return r
                return failed(f"{name} returned {r!r}, not a {kind}")
            errors = tuple(_as_cesql_error(name, err) for err in r.errors)
            if not _valid(r.value, returns):
                return failed(f"{name} returned {r.value!r}, not a {kind}", *errors)
            return Result(r.value, errors)
        except Exception as exc:
            # The guard exists to keep evaluation total whatever user code does.
            return failed(f"{name} raised {type(exc).__name__}: {exc}")

    return guarded


def _as_cesql_error(name: str, error: object) -> CESQLError:
    if isinstance(error, CESQLError):
        return error
    return FunctionEvaluationError(f"{name}: {error}", function=name)
