"""Build runtime objects from a checked pipeline spec: plugins, filters, steps, routes.

Problems are collected, not raised, so that one pass reports all of them; each is
located by its key path, which ``_config`` turns into file, line and key.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cesdk import plugins
from cesdk._config_plugins import check_options
from cesdk._config_schema import PipelineSpec, RouteSpec, StepSpec
from cesdk._config_yaml import Document, KeyPath, Located
from cesdk._errors import PluginError
from cesdk._pipeline._contracts import Sink, Source
from cesdk._pipeline._dedup import Dedupe
from cesdk._pipeline._pipeline import Pipeline, Route
from cesdk._pipeline._ratelimit import RateLimit
from cesdk._pipeline._retry import Retry
from cesdk._pipeline._steps import Filter, Step, as_filter, filter_step

__all__ = ["Builder", "Checker"]

_KIND = {
    "cesdk.sources": "source",
    "cesdk.sinks": "sink",
    "cesdk.dedup_stores": "dedup store",
    "cesdk.formats": "format",
}


class Checker:
    """Load plugins and check their options, collecting the problems it meets."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Located] = []
        self._factories: dict[tuple[str, str], Any] = {}

    def at(self, path: KeyPath, message: str) -> None:
        self.problems.append(Located(path, self.doc.line_of(path), message))

    def plugin(
        self, group: str, use: str, options: Mapping[str, Any], path: KeyPath, *, make: bool = True
    ) -> Any:
        """Load a plugin, check its options, and (with ``make``) call it with them."""
        label = f"{_KIND[group]} {use!r}"
        factory = self._factories.get((group, use))
        if factory is None:
            try:
                # Each lookup scans every installed distribution: once per name is enough.
                factory = self._factories[(group, use)] = plugins.load(group, use)
            except PluginError as exc:
                self.at((*path, "use"), str(exc))
                return None
        checked = check_options(factory, options, label=label)
        for option, message in checked.problems:
            self.at((*path, option) if option else path, message)
        if checked.problems or not make:
            return None
        try:
            return factory(**checked.kwargs)
        except Exception as exc:
            self.at(path, f"{label} refused its options: {exc}")
            return None

    def raw_plugins(self, data: dict[str, Any]) -> None:
        """Check the plugins of a file whose shape is wrong, so that one run reports all."""
        route_keys = {f.alias or n for n, f in RouteSpec.model_fields.items()}

        def check(value: Any, path: KeyPath, group: str, reserved: set[str]) -> None:
            value = {"use": value} if isinstance(value, str) else value
            if isinstance(value, dict) and isinstance(value.get("use"), str) and value["use"]:
                options = {k: v for k, v in value.items() if k not in reserved}
                self.plugin(group, value["use"], options, path, make=False)

        check(data.get("source"), ("source",), "cesdk.sources", {"use"})
        check(data.get("dead_letter"), ("dead_letter",), "cesdk.sinks", {"use"})
        delivery = data.get("delivery")
        if isinstance(delivery, dict):
            check(
                delivery.get("deadLetterSink"),
                ("delivery", "deadLetterSink"),
                "cesdk.sinks",
                {"use"},
            )
        check(data.get("sink"), ("sink",), "cesdk.sinks", route_keys)
        routes = data.get("routes")
        for index, route in enumerate(routes if isinstance(routes, list) else []):
            check(route, ("routes", index), "cesdk.sinks", route_keys)


class Builder(Checker):
    """Turn a checked spec into runtime objects, collecting the problems it meets."""

    def __init__(self, doc: Document, spec: PipelineSpec, folder: Path) -> None:
        super().__init__(doc)
        self.spec, self.folder = spec, folder
        self._stores: dict[tuple[str, str], Any] = {}

    def filter(self, value: Any, path: KeyPath) -> Filter | None:
        try:
            return as_filter(value)
        except Exception as exc:
            self.at(path, f"invalid filter: {exc}")
            return None

    def python(self, target: str, options: dict[str, Any] | None, path: KeyPath) -> Any:
        module_name, _, attribute = target.partition(":")
        # Steps written next to the pipeline file import without installing them.
        if str(self.folder) not in sys.path:
            sys.path.insert(0, str(self.folder))
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attribute.split("."):
                obj = getattr(obj, part)
        except ImportError as exc:
            self.at(path, f"cannot import {module_name!r}: {exc}")
            return None
        except AttributeError:
            self.at(path, f"module {module_name!r} has no {attribute!r}")
            return None
        except Exception as exc:
            self.at(path, f"importing {module_name!r} failed: {exc!r}")
            return None
        if options is not None:
            checked = check_options(obj, options, label=f"step factory {target!r}")
            for option, message in checked.problems:
                self.at((*path[:-1], "options", *((option,) if option else ())), message)
            if checked.problems:
                return None
            try:
                obj = obj(**checked.kwargs)
            except Exception as exc:
                self.at(path, f"step factory {target!r} failed: {exc}")
                return None
        if not callable(obj):
            self.at(path, f"{target!r} is not callable")
            return None
        return obj

    def steps(self, specs: list[StepSpec], path: KeyPath) -> list[Step]:
        out: list[Step] = []
        for index, step in enumerate(specs):
            where = (*path, index)
            made: Any
            if step.filter is not None:
                predicate = self.filter(step.filter, (*where, "filter"))
                made = filter_step(predicate) if predicate is not None else None
            else:
                made = self.python(step.python or "", step.options, (*where, "python"))
            if made is not None:
                out.append(made)
        return out

    def dedupe(self, route: RouteSpec, path: KeyPath) -> Dedupe | None:
        top, own = self.spec.dedupe, route.dedupe
        settings: dict[str, Any] = top.given() if top is not None else {}
        if own is not None:
            settings.update(own.given())
            path = (*path, "dedupe")
        else:
            path = ("dedupe",)
        if (top is None and own is None) or not settings.pop("enabled", True):
            return None
        store_name = settings.pop("store", "memory")
        ttl, lease = settings.pop("ttl", None), settings.pop("lease", None)
        options = {k: v for k, v in settings.items() if v is not None}
        cache_key = (store_name, repr(sorted(options.items())))
        store = self._stores.get(cache_key)
        if store is None:
            # One store per distinct configuration: routes share connections.
            store = self.plugin("cesdk.dedup_stores", store_name, options, path)
            if store is None:
                return None
            self._stores[cache_key] = store
        timing = {"ttl": ttl, "lease": lease}
        return Dedupe(store=store, **{k: v for k, v in timing.items() if v is not None})

    def route(self, index: int, spec: RouteSpec) -> Route | None:
        path: KeyPath = ("routes", index) if self.spec.routes is not None else ("sink",)
        sink = self.plugin("cesdk.sinks", spec.use, spec.options(), path)
        predicate = self.filter(spec.filter, (*path, "filter")) if spec.filter is not None else None
        steps = self.steps(spec.steps, (*path, "steps"))
        retry_options = self.spec.delivery.retry_options() if self.spec.delivery else {}
        if spec.retry is not None:
            retry_options.update(spec.retry.given())
        retry = None
        try:
            retry = Retry(**retry_options) if retry_options else None
        except ValueError as exc:
            self.at((*path, "retry") if spec.retry is not None else ("delivery",), str(exc))
        rate_limit = None
        if spec.rate_limit is not None:
            try:
                rate_limit = RateLimit(**spec.rate_limit.model_dump())
            except ValueError as exc:
                self.at((*path, "rate_limit"), str(exc))
        dedupe = self.dedupe(spec, path)
        if sink is None:
            return None
        return Route(
            sink, name=spec.name, filter=predicate, steps=steps, retry=retry,
            rate_limit=rate_limit, dedupe=dedupe,
        )  # fmt: skip

    def pipeline(self, source: Source | None) -> Pipeline | None:
        spec = self.spec
        made_source = self.plugin(
            "cesdk.sources",
            spec.source.use,
            spec.source.options(),
            ("source",),
            make=source is None,
        )
        steps = self.steps(spec.steps, ("steps",))
        named: dict[str, int] = {}
        for index, route_spec in enumerate(spec.route_specs()):
            if route_spec.name is not None and route_spec.name in named:
                self.at(("routes", index, "name"), f"route name {route_spec.name!r} is used twice")
            named.setdefault(route_spec.name or "", index)
        routes = [self.route(i, r) for i, r in enumerate(spec.route_specs())]
        dead_spec = spec.dead_letter or (spec.delivery.dead_letter_sink if spec.delivery else None)
        dead_path: KeyPath = (
            ("dead_letter",) if spec.dead_letter else ("delivery", "deadLetterSink")
        )
        dead_letter: Sink | None = None
        if dead_spec is not None:
            dead_letter = self.plugin("cesdk.sinks", dead_spec.use, dead_spec.options(), dead_path)
        if self.problems:
            return None
        try:
            return Pipeline(
                source if source is not None else made_source,
                steps=steps,
                routes=[r for r in routes if r is not None],
                dead_letter=dead_letter,
                concurrency=spec.concurrency,
                ordering=spec.ordering,
                shutdown_timeout=spec.shutdown_timeout,
                name=spec.name,
            )
        except Exception as exc:
            self.at((), f"cannot build the pipeline: {exc}")
            return None
