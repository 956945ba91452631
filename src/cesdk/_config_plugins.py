"""Check a plugin's YAML options against the plugin's own signature.

A plugin declares its options as keyword parameters of ``__init__`` (or of the factory
registered under its name); this is the only schema it has to write. Each option's
annotation, when pydantic understands it, also checks and converts the value (``"8080"``
from an environment variable becomes ``8080`` for an ``int`` option).
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ConfigDict, PydanticSchemaGenerationError, TypeAdapter, ValidationError

from cesdk._config_yaml import is_secret_key

__all__ = ["CheckedOptions", "check_options", "did_you_mean"]

_SETTABLE = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def did_you_mean(name: str, choices: list[str]) -> str:
    """Return ``"; did you mean 'x'?"`` when a choice is close to ``name``, else ``""``."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass
class CheckedOptions:
    """The keyword arguments to call the plugin with, and the problems per option.

    ``problems`` maps an option name (or ``None`` for the plugin as a whole) to a
    message.
    """

    kwargs: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str | None, str]] = field(default_factory=list)


def _signature(obj: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(obj, eval_str=True)
    except Exception:  # names only importable under TYPE_CHECKING: check names, not types
        try:
            return inspect.signature(obj)
        except (TypeError, ValueError):
            return None


@functools.lru_cache(maxsize=256)
def _adapter(annotation: Any) -> TypeAdapter[Any] | None:
    try:
        return TypeAdapter(annotation, config=ConfigDict(arbitrary_types_allowed=True))
    except (PydanticSchemaGenerationError, TypeError, NameError, AttributeError):
        return None
    except Exception:  # pydantic raises its own errors for exotic types: skip the check
        return None


def _type_problem(annotation: Any, value: Any) -> tuple[Any, str | None]:
    if annotation is inspect.Parameter.empty or isinstance(annotation, str):
        return value, None
    try:
        adapter = _adapter(annotation)
    except TypeError:  # an unhashable annotation cannot be cached; rare enough to skip
        return value, None
    if adapter is None:
        return value, None
    try:
        return adapter.validate_python(value), None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(
            str(part) for part in first["loc"] if not str(part).startswith(("function-", "union["))
        )
        return value, (f"{where}: " if where else "") + str(first["msg"])


def check_options(obj: Any, options: Mapping[str, Any], *, label: str) -> CheckedOptions:
    """Check ``options`` against the parameters of ``obj`` (a class or a factory).

    Args:
        obj: what will be called with the options as keyword arguments.
        options: the options from the file.
        label: names the plugin in messages, e.g. ``"sink 'file'"``.
    """
    checked = CheckedOptions()
    signature = _signature(obj)
    if signature is None:
        checked.kwargs.update(options)
        return checked
    params = {n: p for n, p in signature.parameters.items() if p.kind in _SETTABLE}
    open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    accepted = sorted(params)
    for name, value in options.items():
        param = params.get(name)
        if param is None and not open_ended:
            listing = ", ".join(accepted) if accepted else "no options"
            checked.problems.append(
                (
                    name,
                    f"{label} has no option {name!r}{did_you_mean(name, accepted)} "
                    f"(it accepts: {listing})",
                )
            )
            continue
        converted, problem = _type_problem(
            param.annotation if param else inspect.Parameter.empty, value
        )
        if problem is not None:
            if isinstance(value, str | int | float) and not is_secret_key(name):
                problem += f" (got {repr(value)[:60]})"
            checked.problems.append((name, f"{label}: {problem}"))
        checked.kwargs[name] = converted
    for name, param in params.items():
        if param.default is inspect.Parameter.empty and name not in options:
            checked.problems.append((None, f"{label} needs the option {name!r}"))
    return checked
