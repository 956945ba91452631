"""Steps and filters: plain callables applied to events."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias, cast

from cesdk._event import CloudEvent

__all__ = ["Filter", "FilterLike", "Step", "apply_steps", "as_filter", "filter_step", "step_name"]

StepResult: TypeAlias = CloudEvent | Sequence[CloudEvent] | None
#: A step takes an event and returns an event, a list of events, or None to drop it;
#: sync or async.
Step: TypeAlias = Callable[[CloudEvent], StepResult | Awaitable[StepResult]]
Filter: TypeAlias = Callable[[CloudEvent], bool]
#: A callable, a Subscriptions API filter (dict, or list meaning "all"), or CESQL text.
FilterLike: TypeAlias = Filter | Mapping[str, Any] | Sequence[Mapping[str, Any]] | str


def step_name(step: object) -> str:
    """Return a readable name for a step or filter, for errors and metrics."""
    return getattr(step, "__qualname__", None) or getattr(step, "__name__", None) or repr(step)


def as_filter(spec: FilterLike) -> Filter:
    """Turn any accepted filter form into a predicate.

    Raises:
        ValueError: a filter dict or CESQL text that does not compile.
        TypeError: something that is no filter at all.
    """
    if isinstance(spec, str):
        # CESQL and the filter dialects load only when used.
        cesql = importlib.import_module("cesdk.cesql")
        return cast(Filter, cesql.compile(spec).matches)
    if isinstance(spec, Mapping) or (isinstance(spec, Sequence) and not isinstance(spec, str)):
        filters = importlib.import_module("cesdk.filters")
        return cast(Filter, filters.build(spec))
    if callable(spec):
        return spec
    raise TypeError(
        f"a filter is a callable, a Subscriptions API filter dict or CESQL text; "
        f"got {type(spec).__name__}"
    )


def filter_step(predicate: Filter) -> Step:
    """Return a step that keeps the events ``predicate`` accepts."""

    def keep(event: CloudEvent) -> CloudEvent | None:
        return event if predicate(event) else None

    keep.__qualname__ = f"filter({step_name(predicate)})"
    return keep


async def apply_steps(steps: Iterable[Step], event: CloudEvent) -> list[CloudEvent]:
    """Run ``event`` through ``steps`` in order; return what comes out (maybe nothing).

    Raises:
        TypeError: a step returned something other than an event, a list or None.
        Exception: whatever a step raised.
    """
    events = [event]
    for step in steps:
        out: list[CloudEvent] = []
        for ev in events:
            result: Any = step(ev)
            if result.__class__ is CloudEvent:  # the common case first: no await check
                out.append(result)
                continue
            if inspect.isawaitable(result):
                result = await result
            if result is None:
                continue
            if isinstance(result, CloudEvent):
                out.append(result)
            elif isinstance(result, list | tuple) and all(
                isinstance(item, CloudEvent) for item in result
            ):
                out.extend(result)
            else:
                raise TypeError(
                    f"step {step_name(step)} returned {type(result).__name__}; a step returns "
                    "a CloudEvent, a list of them, or None"
                )
        events = out
        if not events:
            break
    return events
