"""The Subscriptions API filter dialects (subscriptions/spec.md section 3.2.4).

A :class:`Filter` is a predicate, ``filter(event) -> bool``, usable wherever a route or
a pipeline takes one. Build it in Python, or from the JSON/YAML form the spec defines::

    from cesdk import filters
    f = filters.build({"all": [{"exact": {"type": "io.k8s.event.warning"}},
                               {"sql": "subject LIKE 'pod/%'"}]})
    f = filters.Exact(type="io.k8s.event.warning") & filters.Sql("subject LIKE 'pod/%'")

A list means all of its filters, and an empty list passes every event (section 3.2.1,
``filters``). Every filter is checked when it is built: an unknown dialect, an empty
name or value, an empty ``all``/``any``, or SQL that does not parse raises
:class:`InvalidFilterError` naming the place in the definition.
"""

from __future__ import annotations

import operator
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Final

from cesdk._errors import CESDKError
from cesdk._event import CloudEvent
from cesdk._types import check_name
from cesdk.cesql import Expression, Function, ParseError, compile
from cesdk.cesql._expression import attributes_of
from cesdk.cesql._types import Type, cast, from_attribute

__all__ = [
    "DIALECTS",
    "AllOf",
    "AnyOf",
    "Exact",
    "Filter",
    "FilterList",
    "InvalidFilterError",
    "Not",
    "Prefix",
    "Sql",
    "Suffix",
    "build",
]

#: The dialect names cesdk understands: the six REQUIRED ones and the OPTIONAL ``sql``.
DIALECTS: Final = ("exact", "prefix", "suffix", "all", "any", "not", "sql")


class InvalidFilterError(CESDKError, ValueError):
    """A filter definition that breaks section 3.2.4.

    Attributes:
        path: where in the definition, e.g. ``filters[1].all[0].exact``.
        reason: what is wrong there.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class Filter(ABC):
    """A predicate on events, built from one Subscriptions API filter expression.

    ``a & b`` is :class:`AllOf`, ``a | b`` is :class:`AnyOf`, ``~a`` is :class:`Not`.
    """

    __slots__ = ()

    @abstractmethod
    def __call__(self, event: CloudEvent) -> bool:
        """Tell whether the event passes."""

    @property
    @abstractmethod
    def spec(self) -> Any:
        """The filter in its JSON form: what :func:`build` takes to make it again."""

    def __and__(self, other: Filter) -> AllOf:
        return AllOf([*_flat(self, AllOf), *_flat(other, AllOf)])

    def __or__(self, other: Filter) -> AnyOf:
        return AnyOf([*_flat(self, AnyOf), *_flat(other, AnyOf)])

    def __invert__(self) -> Not:
        return Not(self)

    def __repr__(self) -> str:
        return f"filters.build({self.spec!r})"


def _flat(f: Filter, kind: type[_Nested]) -> tuple[Filter, ...]:
    return f.filters if isinstance(f, kind) else (f,)


def _text(value: object) -> str:
    """Return an attribute value as the String the dialects compare (its canonical form)."""
    return cast(from_attribute(value), Type.STRING, [])  # type: ignore[return-value]  # a str


class _AttributeFilter(Filter):
    """A dialect whose properties map attribute names to String values."""

    __slots__ = ("_items", "attributes")
    dialect: ClassVar[str]
    _test: ClassVar[Callable[[str, str], bool]]

    def __init__(self, attributes: Mapping[str, str] | None = None, /, **more: str) -> None:
        merged = {**(attributes or {}), **more}
        _check_attributes(self.dialect, merged, self.dialect)
        self.attributes: Mapping[str, str] = MappingProxyType(merged)
        self._items = tuple(merged.items())

    def __call__(self, event: CloudEvent) -> bool:
        # Inlined attributes_of(): the common case skips a call and a read-only proxy.
        attributes = event._attrs if event.__class__ is CloudEvent else attributes_of(event)
        test = type(self)._test
        for name, wanted in self._items:
            value = attributes.get(name)
            if value is None:
                return False  # an absent attribute matches nothing
            if value.__class__ is not str:
                value = _text(value)
            if not test(value, wanted):
                return False
        return True

    @property
    def spec(self) -> dict[str, dict[str, str]]:
        return {self.dialect: dict(self.attributes)}


class Exact(_AttributeFilter):
    """``exact``: each named attribute equals its value, case-sensitively.

    Example:
        >>> Exact(type="com.github.push")({"type": "com.github.push"})
        True
    """

    __slots__ = ()
    dialect = "exact"
    _test = operator.eq


class Prefix(_AttributeFilter):
    """``prefix``: each named attribute starts with its value, case-sensitively."""

    __slots__ = ()
    dialect = "prefix"
    _test = str.startswith


class Suffix(_AttributeFilter):
    """``suffix``: each named attribute ends with its value, case-sensitively."""

    __slots__ = ()
    dialect = "suffix"
    _test = str.endswith


class _Nested(Filter):
    """A dialect holding a non-empty list of filters."""

    __slots__ = ("filters",)
    dialect: ClassVar[str]

    def __init__(self, filters: Iterable[Filter]) -> None:
        self.filters: tuple[Filter, ...] = _check_nested(self.dialect, filters)

    @property
    def spec(self) -> dict[str, list[Any]]:
        return {self.dialect: [f.spec for f in self.filters]}


class AllOf(_Nested):
    """``all``: every nested filter passes; needs at least one."""

    __slots__ = ()
    dialect = "all"

    def __call__(self, event: CloudEvent) -> bool:
        return all(f(event) for f in self.filters)


class AnyOf(_Nested):
    """``any``: at least one nested filter passes; needs at least one."""

    __slots__ = ()
    dialect = "any"

    def __call__(self, event: CloudEvent) -> bool:
        return any(f(event) for f in self.filters)


class Not(Filter):
    """``not``: the nested filter does not pass."""

    __slots__ = ("filter",)

    def __init__(self, filter: Filter) -> None:
        if not isinstance(filter, Filter):
            raise InvalidFilterError("not", _not_a_filter(filter))
        self.filter = filter

    def __call__(self, event: CloudEvent) -> bool:
        return not self.filter(event)

    @property
    def spec(self) -> dict[str, Any]:
        return {"not": self.filter.spec}


class Sql(Filter):
    """``sql``: a CESQL expression that evaluates to TRUE without error (cesql section 1.2).

    Args:
        expression: the CESQL text, or an already compiled expression.
        functions: user-defined functions for the expression.

    Raises:
        InvalidFilterError: the expression does not parse; the message shows where.
    """

    __slots__ = ("expression",)

    def __init__(
        self, expression: str | Expression, *, functions: Iterable[Function] | None = None
    ) -> None:
        if isinstance(expression, Expression):
            self.expression = expression
            return
        if not isinstance(expression, str) or not expression.strip():
            raise InvalidFilterError("sql", "the value must be a non-empty CESQL expression")
        try:
            self.expression = compile(expression, functions=functions)
        except ParseError as exc:
            raise InvalidFilterError("sql", f"invalid CESQL expression: {exc}") from exc

    def __call__(self, event: CloudEvent) -> bool:
        return self.expression.matches(event)

    @property
    def spec(self) -> dict[str, str]:
        return {"sql": self.expression.text}


class FilterList(Filter):
    """The ``filters`` array of a subscription: every filter passes; empty passes all."""

    __slots__ = ("filters",)

    def __init__(self, filters: Iterable[Filter]) -> None:
        self.filters: tuple[Filter, ...] = tuple(filters)
        for i, f in enumerate(self.filters):
            if not isinstance(f, Filter):
                raise InvalidFilterError(f"[{i}]", _not_a_filter(f))

    def __call__(self, event: CloudEvent) -> bool:
        return all(f(event) for f in self.filters)

    @property
    def spec(self) -> list[Any]:
        return [f.spec for f in self.filters]


def _not_a_filter(value: object) -> str:
    return f"expected a Filter, got {type(value).__name__}; use filters.build() for a dict"


def _check_attributes(path: str, attributes: object, dialect: str) -> None:
    if not isinstance(attributes, Mapping) or not attributes:
        raise InvalidFilterError(
            path, f"{dialect} needs a non-empty mapping of attribute names to String values"
        )
    for name, value in attributes.items():
        if not isinstance(name, str) or not name:
            raise InvalidFilterError(path, f"attribute names must be non-empty, got {name!r}")
        problem = check_name(name)
        if problem is not None:
            raise InvalidFilterError(path, problem)
        if not isinstance(value, str) or not value:
            raise InvalidFilterError(
                path, f"the value of {name!r} must be a non-empty String, got {value!r}"
            )


def _check_nested(dialect: str, filters: Iterable[Filter]) -> tuple[Filter, ...]:
    if isinstance(filters, Filter | Mapping | str):
        raise InvalidFilterError(dialect, f"{dialect} takes a list of filters")
    nested = tuple(filters)
    if not nested:
        raise InvalidFilterError(dialect, f"{dialect} needs at least one filter")
    for i, f in enumerate(nested):
        if not isinstance(f, Filter):
            raise InvalidFilterError(f"{dialect}[{i}]", _not_a_filter(f))
    return nested


def build(spec: Any, *, functions: Iterable[Function] | None = None) -> Filter:
    """Build a filter from its Subscriptions API form (a dict, or a list meaning all).

    Args:
        spec: ``{"<dialect>": <properties>}``, a list of those, or a Filter (returned
            as it is). What ``json.loads`` or ``yaml.safe_load`` gives is fine.
        functions: user-defined CESQL functions for ``sql`` filters.

    Raises:
        InvalidFilterError: the definition breaks section 3.2.4; ``.path`` says where.

    Example:
        >>> f = build([{"prefix": {"type": "com.github."}}, {"sql": "EXISTS subject"}])
        >>> f({"type": "com.github.push", "subject": "spec"})
        True
    """
    funcs = None if functions is None else tuple(functions)
    if isinstance(spec, list | tuple):
        return FilterList([_build(item, f"filters[{i}]", funcs) for i, item in enumerate(spec)])
    return _build(spec, "filter", funcs)


def _build(spec: Any, path: str, functions: tuple[Function, ...] | None) -> Filter:
    if isinstance(spec, Filter):
        return spec
    if not isinstance(spec, Mapping):
        raise InvalidFilterError(
            path, f'expected {{"<dialect>": <properties>}}, got {type(spec).__name__}'
        )
    if len(spec) != 1:
        found = ", ".join(repr(k) for k in spec) or "none"
        raise InvalidFilterError(path, f"a filter names exactly one dialect; found {found}")
    ((dialect, value),) = spec.items()
    where = f"{path}.{dialect}"
    if dialect in ("exact", "prefix", "suffix"):
        _check_attributes(where, value, dialect)
        return {"exact": Exact, "prefix": Prefix, "suffix": Suffix}[dialect](value)
    if dialect in ("all", "any"):
        if not isinstance(value, list | tuple):
            raise InvalidFilterError(where, f"{dialect} takes a list of filters")
        if not value:
            raise InvalidFilterError(where, f"{dialect} needs at least one filter")
        nested = [_build(item, f"{where}[{i}]", functions) for i, item in enumerate(value)]
        return AllOf(nested) if dialect == "all" else AnyOf(nested)
    if dialect == "not":
        if isinstance(value, list | tuple):
            raise InvalidFilterError(where, "not takes one filter, not a list")
        return Not(_build(value, where, functions))
    if dialect == "sql":
        try:
            return Sql(value, functions=functions)
        except InvalidFilterError as exc:
            raise InvalidFilterError(where, exc.reason) from exc.__cause__
    raise InvalidFilterError(
        path,
        f"unknown filter dialect {dialect!r}; cesdk supports {', '.join(DIALECTS)}",
    )
