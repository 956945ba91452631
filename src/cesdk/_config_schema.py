"""The schema of a YAML pipeline, as pydantic models.

The models check the shape of the file (keys, types, ranges, durations); the options of
each plugin (``use: ...``) are open here and checked against the plugin's own signature
when the pipeline is built (``_config_plugins``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from cesdk._pipeline._retry import parse_duration

__all__ = [
    "DedupeSpec",
    "DeliverySpec",
    "Duration",
    "PipelineSpec",
    "PluginSpec",
    "RateLimitSpec",
    "RetrySpec",
    "RouteSpec",
    "StepSpec",
]

_DURATION_HELP = "a number of seconds, or an ISO 8601 duration such as 'PT0.5S' or 'PT1M30S'"


_NUMBER = r"\d+(\.\d+)?"
_ISO_PATTERN = rf"^P({_NUMBER}D)?(T({_NUMBER}H)?({_NUMBER}M)?({_NUMBER}S)?)?$"


def _seconds(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"a duration is {_DURATION_HELP}")
    seconds = float(value) if not isinstance(value, str) else None
    if seconds is None:
        try:
            seconds = parse_duration(str(value))
        except ValueError:
            raise ValueError(f"not a duration: give {_DURATION_HELP}") from None
    if seconds < 0:
        raise ValueError("a duration must not be negative")
    return seconds


#: Seconds, written as a number or an ISO 8601 duration (Knative writes ``PT0.2S``).
Duration = Annotated[
    float,
    BeforeValidator(_seconds),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {
                    "type": "string",
                    "pattern": _ISO_PATTERN,
                },
            ],
            "description": f"Seconds: {_DURATION_HELP}.",
        }
    ),
]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def given(self) -> dict[str, Any]:
        """Return the fields the file set, by Python name."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class PluginSpec(BaseModel):
    """A plugin chosen by its entry-point name, plus that plugin's own options.

    Every key other than `use` is passed to the plugin as a keyword argument and
    checked against its signature. A bare string is short for `{use: <string>}`.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    use: str = Field(min_length=1, description="The plugin's entry-point name (`cesdk plugins`).")

    @model_validator(mode="before")
    @classmethod
    def _bare_name(cls, data: Any) -> Any:
        return {"use": data} if isinstance(data, str) else data

    def options(self) -> dict[str, Any]:
        """Return the plugin options: every key but `use`."""
        return dict(self.model_extra or {})


class RetrySpec(_Closed):
    """How a route retries a failed send; unset keys keep their defaults.

    An integer is Knative's `retry`: the number of retries after the first attempt
    (`retry: 3` means at most 4 sends).
    """

    max_attempts: int | None = Field(
        None, ge=1, description="Total sends, the first included. Default 5."
    )
    initial_delay: Duration | None = Field(
        None, description="Delay before the first retry, before jitter. Default 0.2 s."
    )
    max_delay: Duration | None = Field(None, description="Cap on any one delay. Default 30 s.")
    multiplier: float | None = Field(
        None, ge=1, description="Growth factor of exponential backoff. Default 2."
    )
    max_elapsed: Duration | None = Field(
        None,
        description="Give up this long after the first send; `null` for no limit. Default 300 s.",
    )
    backoff: Literal["exponential", "linear"] | None = Field(
        None, description="Backoff policy. Default exponential."
    )
    jitter: bool | None = Field(
        None, description="Draw each delay uniformly between zero and it. Default true."
    )
    timeout: Duration | None = Field(
        None, description="How long one send may take. Default: no limit."
    )

    @model_validator(mode="before")
    @classmethod
    def _retry_count(cls, data: Any) -> Any:
        if isinstance(data, int) and not isinstance(data, bool):
            if data < 0:
                raise ValueError("the number of retries must not be negative")
            return {"max_attempts": data + 1}
        return data


class DeliverySpec(_Closed):
    """Delivery defaults for every route, in Knative's vocabulary or cesdk's own.

    Knative's keys map onto the retry policy: `retry` (number of retries),
    `backoffPolicy` (backoff), `backoffDelay` (initial_delay), `timeout`, and
    `deadLetterSink` (the dead letter sink). `retry` may also be a full retry mapping.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

    retry: RetrySpec | None = Field(
        None, description="Retries after the first attempt, or a retry mapping."
    )
    backoff_policy: Literal["exponential", "linear"] | None = Field(
        None, alias="backoffPolicy", description="Knative's backoff policy."
    )
    backoff_delay: Duration | None = Field(
        None,
        alias="backoffDelay",
        description="Knative's base delay (ISO 8601), the first retry's delay.",
    )
    timeout: Duration | None = Field(None, description="How long one send may take (ISO 8601).")
    dead_letter_sink: PluginSpec | None = Field(
        None, alias="deadLetterSink", description="Knative's dead letter sink: `use:` and options."
    )

    @model_validator(mode="after")
    def _one_spelling(self) -> DeliverySpec:
        given = self.retry.given() if self.retry is not None else {}
        for knative, own in (
            ("backoff_policy", "backoff"),
            ("backoff_delay", "initial_delay"),
            ("timeout", "timeout"),
        ):
            if getattr(self, knative) is not None and own in given:
                alias = type(self).model_fields[knative].alias or knative
                raise ValueError(f"give {alias} or retry.{own}, not both")
        return self

    def retry_options(self) -> dict[str, Any]:
        """Return the ``Retry`` keywords this block sets."""
        options = self.retry.given() if self.retry is not None else {}
        if self.backoff_policy is not None:
            options["backoff"] = self.backoff_policy
        if self.backoff_delay is not None:
            options["initial_delay"] = self.backoff_delay
        if self.timeout is not None:
            options["timeout"] = self.timeout
        return options


class DedupeSpec(BaseModel):
    """Duplicate suppression keyed on (source, id, route).

    `true` turns it on with the defaults, `false` turns it off. Keys other than those
    below are options of the store plugin.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    enabled: bool = Field(True, description="Suppress duplicates on this route.")
    store: str = Field(
        "memory", min_length=1, description="The dedup store plugin: `memory` or `redis`."
    )
    url: str | None = Field(
        None, description="The store's URL (redis), e.g. `redis://127.0.0.1:6379/0`."
    )
    prefix: str | None = Field(None, description="Prefix of every key (redis).")
    ttl: Duration | None = Field(
        None, description="How long a delivered key is remembered. Default 24 h."
    )
    lease: Duration | None = Field(
        None,
        description="How long a claim holds before another worker may take over. Default 60 s.",
    )

    @model_validator(mode="before")
    @classmethod
    def _switch(cls, data: Any) -> Any:
        return {"enabled": data} if isinstance(data, bool) else data

    def given(self) -> dict[str, Any]:
        """Return what the file set, store options included."""
        out = {name: getattr(self, name) for name in self.model_fields_set}
        out.update(self.model_extra or {})
        return out


class RateLimitSpec(_Closed):
    """A token bucket: at most `rate` sends per second, in bursts of `burst`."""

    rate: float = Field(gt=0, description="Sends per second.")
    burst: int = Field(1, ge=1, description="Sends allowed back to back after a quiet spell.")
    per: str | None = Field(
        None, description="An attribute whose every value gets its own bucket, e.g. `subject`."
    )
    overall: float | None = Field(
        None, gt=0, description="With `per`: a cap shared by every key, sends per second."
    )


def _check_filter(value: Any) -> Any:
    if value is None or isinstance(value, dict | str):
        return value
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return value
    raise ValueError(
        "a filter is a Subscriptions API filter mapping (e.g. {prefix: {type: io.k8s.}}), "
        "a list of them, or CESQL text"
    )


class StepSpec(_Closed):
    """One step: a `filter`, or a Python callable named `module:function`.

    A bare string is short for `{python: <string>}`. With `options`, the callable is
    a factory called with them once, and what it returns is the step.
    """

    filter: Any = Field(
        None, description="Subscriptions API filter mapping, list (all of), or CESQL text."
    )
    python: str | None = Field(
        None, pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$", description="`package.module:function`."
    )
    options: dict[str, Any] | None = Field(
        None, description="Keyword arguments for a step factory."
    )

    @field_validator("filter")
    @classmethod
    def _filter_shape(cls, value: Any) -> Any:
        return _check_filter(value)

    @model_validator(mode="before")
    @classmethod
    def _bare_python(cls, data: Any) -> Any:
        return {"python": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _exactly_one(self) -> StepSpec:
        if (self.filter is None) == (self.python is None):
            raise ValueError("a step is either `filter:` or `python:`")
        if self.options is not None and self.python is None:
            raise ValueError("`options` goes with `python:` (a step factory)")
        return self


class RouteSpec(BaseModel):
    """A destination: a sink plugin (`use:` plus its options) and the policies guarding it.

    Keys other than those below are options of the sink plugin. A bare string is
    short for `{use: <string>}`.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    use: str = Field(min_length=1, description="The sink plugin (`cesdk plugins`).")
    name: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Stable name for dedup keys, metrics and dead letters. Default `route<N>`.",
    )
    filter: Any = Field(
        None, description="Send only the events it accepts: filter mapping, list, or CESQL text."
    )
    steps: list[StepSpec] = Field(default_factory=list, description="Steps applied before sending.")
    retry: RetrySpec | None = Field(
        None, description="Retry policy; overrides `delivery` key by key."
    )
    rate_limit: RateLimitSpec | None = Field(None, description="Token bucket for this route.")
    dedupe: DedupeSpec | None = Field(
        None, description="Duplicate suppression; overrides the top-level `dedupe` key by key."
    )

    @field_validator("filter")
    @classmethod
    def _filter_shape(cls, value: Any) -> Any:
        return _check_filter(value)

    @model_validator(mode="before")
    @classmethod
    def _bare_name(cls, data: Any) -> Any:
        return {"use": data} if isinstance(data, str) else data

    def options(self) -> dict[str, Any]:
        """Return the sink options: every key that is not a route key."""
        return dict(self.model_extra or {})


class PipelineSpec(_Closed):
    """A pipeline: a source, steps, routes to sinks, and how delivery behaves."""

    name: str = Field(
        "pipeline", min_length=1, description="Names the pipeline in metrics and dead letters."
    )
    source: PluginSpec = Field(
        description="Where events come from: `use:` and the plugin's options."
    )
    steps: list[StepSpec] = Field(
        default_factory=list, description="Steps applied to every event first."
    )
    routes: list[RouteSpec] | None = Field(None, min_length=1, description="The destinations.")
    sink: RouteSpec | None = Field(None, description="Shorthand for `routes` with one route.")
    dead_letter: PluginSpec | None = Field(
        None,
        description="Where undeliverable events go. "
        "Default: `{use: file, path: deadletter.jsonl}`.",
    )
    dedupe: DedupeSpec | None = Field(
        None,
        description="Duplicate suppression for every route (a route may override or turn it off).",
    )
    delivery: DeliverySpec | None = Field(
        None, description="Retry defaults for every route (Knative vocabulary accepted)."
    )
    concurrency: int = Field(64, ge=1, le=1_000_000, description="Deliveries in flight at most.")
    ordering: Literal["partitionkey", "subject", "source", "type", "delivery"] | None = Field(
        None, description="One delivery in flight per value of this key."
    )
    shutdown_timeout: Duration = Field(
        30.0, description="How long to drain in-flight work when stopping."
    )

    @model_validator(mode="after")
    def _consistent(self) -> PipelineSpec:
        if (self.routes is None) == (self.sink is None):
            raise ValueError("give either `routes` (a list) or `sink` (one route)")
        if (
            self.dead_letter is not None
            and self.delivery is not None
            and self.delivery.dead_letter_sink is not None
        ):
            raise ValueError("give `dead_letter` or `delivery.deadLetterSink`, not both")
        return self

    def route_specs(self) -> list[RouteSpec]:
        """Return the routes, the `sink` shorthand included."""
        return (
            list(self.routes)
            if self.routes is not None
            else [self.sink]
            if self.sink is not None
            else []
        )
