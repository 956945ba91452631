"""CESQL functions: the definition type, overload rules and the process-wide registry.

Section 3.5: a function is a name, typed parameters (the last one possibly variadic)
and a return type. Names are case-insensitive. Overloads differ by arity only; a
variadic overload needs more fixed parameters than any other overload has in total.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, overload

from cesdk.cesql._errors import InvalidFunctionError
from cesdk.cesql._types import Type

__all__ = [
    "Function",
    "FunctionTable",
    "default_table",
    "function",
    "register",
    "table_with",
    "unregister",
]

_NAME = re.compile(r"[A-Za-z][A-Za-z_]*")
_TYPES: Final[dict[object, Type]] = {
    bool: Type.BOOLEAN,
    int: Type.INTEGER,
    str: Type.STRING,
    object: Type.ANY,
    Any: Type.ANY,
}


def _type(value: object, what: str, name: str) -> Type:
    if isinstance(value, Type):
        return value
    found = _TYPES.get(value)
    if found is None:
        raise InvalidFunctionError(
            f"{name}: {what} has type {value!r}; CESQL types are bool, int, str "
            "(and object for a parameter that takes any of them)"
        )
    return found


class Function:
    """A CESQL function definition (section 3.5).

    Arguments are cast to the declared parameter types before the call (section 3.7);
    a parameter typed ``object`` takes a Boolean, Integer or String unchanged. The
    implementation returns a value of the declared type, or a :class:`Result` to
    report errors next to its value. A wrong return value or an exception becomes the
    zero value and a :class:`FunctionEvaluationError` (section 3.5.3).

    Args:
        name: the function name; case-insensitive, a letter then letters and ``_``.
        parameters: the types of the fixed parameters: ``bool``, ``int``, ``str`` or
            ``object``.
        returns: the return type: ``bool``, ``int`` or ``str``.
        implementation: called with one Python argument per CESQL argument.
        variadic: the type of any further arguments; ``None`` for a fixed arity.

    Raises:
        InvalidFunctionError: a bad name or type.

    Example:
        >>> from cesdk import cesql
        >>> starts = cesql.Function("HASPREFIX", [str, str], bool, str.startswith)
        >>> cesql.compile("HASPREFIX('abc', 'ab')", functions=[starts]).evaluate({}).value
        True
    """

    __slots__ = ("builtin", "implementation", "name", "parameters", "returns", "variadic")

    def __init__(
        self,
        name: str,
        parameters: Sequence[object],
        returns: object,
        implementation: Callable[..., Any],
        *,
        variadic: object | None = None,
        _builtin: bool = False,
    ) -> None:
        if not isinstance(name, str) or _NAME.fullmatch(name) is None:
            raise InvalidFunctionError(
                f"{name!r} is not a CESQL function name: a letter, then letters and '_'"
            )
        self.name: str = name.upper()
        self.parameters: tuple[Type, ...] = tuple(
            _type(p, f"parameter {i + 1}", self.name) for i, p in enumerate(parameters)
        )
        self.variadic: Type | None = (
            None if variadic is None else _type(variadic, "the variadic parameter", self.name)
        )
        self.returns: Type = _type(returns, "the return value", self.name)
        if self.returns is Type.ANY:
            raise InvalidFunctionError(f"{self.name}: the return type must be bool, int or str")
        if not callable(implementation):
            raise InvalidFunctionError(f"{self.name}: the implementation is not callable")
        self.implementation = implementation
        self.builtin = _builtin

    def accepts(self, arity: int) -> bool:
        """Tell whether the function takes ``arity`` arguments."""
        fixed = len(self.parameters)
        return arity == fixed or (self.variadic is not None and arity > fixed)

    def parameter_type(self, index: int) -> Type:
        """Return the type of the argument at ``index`` (0-based)."""
        if index < len(self.parameters):
            return self.parameters[index]
        assert self.variadic is not None  # accepts() was checked first
        return self.variadic

    def signature(self) -> str:
        """Return the signature in the spec's notation, e.g. ``LEFT(String, Integer): String``."""
        names = {Type.BOOLEAN: "Boolean", Type.INTEGER: "Integer", Type.STRING: "String"}
        params = [names.get(p, "Any") for p in self.parameters]
        if self.variadic is not None:
            params.append(names.get(self.variadic, "Any") + "...")
        return f"{self.name}({', '.join(params)}): {names[self.returns]}"

    def __repr__(self) -> str:
        return f"<cesql.Function {self.signature()}>"


@overload
def function(implementation: Callable[..., Any], /) -> Function: ...


@overload
def function(
    *, name: str | None = None, returns: object | None = None
) -> Callable[[Callable[..., Any]], Function]: ...


def function(
    implementation: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    returns: object | None = None,
) -> Function | Callable[[Callable[..., Any]], Function]:
    """Make a :class:`Function` from a Python function's annotations; usable as a decorator.

    Positional parameters give the fixed parameters, ``*args`` the variadic one, the
    return annotation the return type (or pass ``returns=``). The name defaults to the
    Python function's name.

    Example:
        >>> from cesdk import cesql
        >>> @cesql.function
        ... def konkat(*parts: str) -> str:
        ...     return "".join(parts)
        >>> cesql.compile("KONKAT('a', 'b')", functions=[konkat]).evaluate({}).value
        'ab'
    """

    def make(impl: Callable[..., Any]) -> Function:
        label: str = name or str(getattr(impl, "__name__", ""))
        try:
            hints = typing.get_type_hints(impl)
            signature = inspect.signature(impl)
        except (NameError, TypeError, ValueError) as exc:
            raise InvalidFunctionError(f"{label}: cannot read the annotations: {exc}") from exc
        fixed: list[object] = []
        variadic: object | None = None
        for param in signature.parameters.values():
            if param.kind is param.VAR_POSITIONAL:
                variadic = hints.get(param.name, object)
            elif param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
                if param.name not in hints:
                    raise InvalidFunctionError(f"{label}: parameter {param.name!r} has no type")
                fixed.append(hints[param.name])
            elif param.default is param.empty:
                raise InvalidFunctionError(
                    f"{label}: keyword-only parameter {param.name!r} needs a default"
                )
        result = returns if returns is not None else hints.get("return")
        if result is None:
            raise InvalidFunctionError(f"{label}: give a return annotation or returns=")
        return Function(label, fixed, result, impl, variadic=variadic)

    if implementation is not None:
        return make(implementation)
    return make


class FunctionTable:
    """A checked set of function definitions, resolving a name and an arity to one of them.

    Raises:
        InvalidFunctionError: two definitions share a name and arity, or a variadic
            overload could be confused with another (section 3.5).
    """

    __slots__ = ("_fixed", "_variadic")

    def __init__(self, functions: Iterable[Function]) -> None:
        self._fixed: dict[tuple[str, int], Function] = {}
        self._variadic: dict[str, Function] = {}
        by_name: dict[str, list[Function]] = {}
        for fn in functions:
            if not isinstance(fn, Function):
                raise InvalidFunctionError(
                    f"{fn!r} is not a cesql.Function; wrap it with cesql.function()"
                )
            by_name.setdefault(fn.name, []).append(fn)
        for fname, overloads in by_name.items():
            variadics = [fn for fn in overloads if fn.variadic is not None]
            if len(variadics) > 1:
                raise InvalidFunctionError(
                    f"{fname} has two variadic definitions: "
                    f"{variadics[0].signature()} and {variadics[1].signature()}"
                )
            for fn in overloads:
                if fn.variadic is not None:
                    continue
                key = (fname, len(fn.parameters))
                if key in self._fixed:
                    raise InvalidFunctionError(_clash(self._fixed[key], fn))
                self._fixed[key] = fn
            for fn in variadics:
                longest = max(
                    (len(o.parameters) for o in overloads if o.variadic is None), default=-1
                )
                if len(fn.parameters) <= longest:
                    raise InvalidFunctionError(
                        f"{fn.signature()} is variadic with {len(fn.parameters)} fixed "
                        f"parameters; another {fname} takes {longest}, so it needs at least "
                        f"{longest + 1} (section 3.5)"
                    )
                self._variadic[fname] = fn

    def resolve(self, name: str, arity: int) -> Function | None:
        """Return the definition of ``name`` that takes ``arity`` arguments, if any."""
        fn = self._fixed.get((name, arity))
        if fn is not None:
            return fn
        fn = self._variadic.get(name)
        if fn is not None and fn.accepts(arity):
            return fn
        return None

    def overloads(self, name: str) -> list[Function]:
        """Return every definition of ``name``."""
        found = [fn for (n, _), fn in self._fixed.items() if n == name]
        if name in self._variadic:
            found.append(self._variadic[name])
        return found

    def __iter__(self) -> typing.Iterator[Function]:
        yield from self._fixed.values()
        yield from self._variadic.values()


def _clash(old: Function, new: Function) -> str:
    if old.builtin:
        return f"{new.signature()} would replace the built-in {old.signature()}"
    return f"{new.signature()} clashes with {old.signature()}: same name and arity"


_BUILTINS: list[Function] = []
_registered: list[Function] = []
_default: FunctionTable | None = None


def set_builtins(functions: Iterable[Function]) -> None:
    """Install the built-in functions (called once by the builtins module)."""
    global _default
    _BUILTINS[:] = list(functions)
    _default = None


def default_table() -> FunctionTable:
    """Return the built-ins plus every registered function."""
    global _default
    if _default is None:
        _default = FunctionTable([*_BUILTINS, *_registered])
    return _default


def table_with(functions: Iterable[Function]) -> FunctionTable:
    """Return the default table extended with ``functions``."""
    return FunctionTable([*default_table(), *functions])


def register(fn: Function) -> Function:
    """Make a function available to every expression compiled afterwards in this process.

    Useful where no ``functions=`` argument can be passed, such as a ``sql`` filter in
    a YAML pipeline. Returns the function, so it also works as a decorator on top of
    :func:`function`.

    Raises:
        InvalidFunctionError: it clashes with a built-in or registered function.
    """
    global _default
    FunctionTable([*default_table(), fn])
    _registered.append(fn)
    _default = None
    return fn


def unregister(fn: Function) -> None:
    """Remove a function added with :func:`register`; expressions compiled before keep it."""
    global _default
    _registered[:] = [f for f in _registered if f is not fn]
    _default = None
