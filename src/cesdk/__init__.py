"""cesdk: a strict, fast CloudEvents 1.0 SDK, and a runtime that delivers events reliably.

The flat public API lives here; formats and bindings are sub-namespaces::

    import cesdk
    ev = cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/prod",
                          data={"reason": "BackOff"})
    body = cesdk.formats.json.encode(ev)
    msg = cesdk.bindings.http.to_binary(ev)
"""

import typing as _typing

from cesdk import bindings, cesql, extensions, filters, formats, plugins
from cesdk._adapters.console import ConsoleSink
from cesdk._adapters.file import FileSink, FileSource
from cesdk._adapters.generator import GeneratorSource
from cesdk._adapters.memory import MemorySink, MemorySource
from cesdk._errors import (
    CESDKError,
    ConfigError,
    DecodeError,
    DeliveryError,
    EncodeError,
    InvalidEventError,
    InvalidMessageError,
    MissingDependencyError,
    PermanentDeliveryError,
    PluginError,
    RetryableDeliveryError,
)
from cesdk._event import NO_DATA, CloudEvent, NoData
from cesdk._pipeline._contracts import (
    BatchSink,
    BatchSource,
    Delivery,
    RawMessage,
    Sink,
    Source,
)
from cesdk._pipeline._dedup import (
    Claim,
    ClaimState,
    Dedupe,
    DedupStore,
    MemoryDedupStore,
    StateStore,
)
from cesdk._pipeline._noise import Digest, WindowCounter, digest, once_per, threshold
from cesdk._pipeline._observe import HealthServer, prometheus_text
from cesdk._pipeline._pipeline import Pipeline, Route
from cesdk._pipeline._ratelimit import RateLimit
from cesdk._pipeline._redis import RedisDedupStore
from cesdk._pipeline._retry import Retry, parse_duration, parse_retry_after
from cesdk._pipeline._tracing import Tracing
from cesdk._types import Timestamp

if _typing.TYPE_CHECKING:
    from cesdk._config import json_schema, load_pipeline, validate_file

__version__ = "0.1.0"

# YAML pipelines need pydantic: loaded on first use, not by ``import cesdk``.
_LAZY = frozenset({"json_schema", "load_pipeline", "validate_file"})


def __getattr__(name: str) -> _typing.Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module("cesdk._config"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cesdk' has no attribute {name!r}")


__all__ = [
    "NO_DATA",
    "BatchSink",
    "BatchSource",
    "CESDKError",
    "Claim",
    "ClaimState",
    "CloudEvent",
    "ConfigError",
    "ConsoleSink",
    "DecodeError",
    "DedupStore",
    "Dedupe",
    "Delivery",
    "DeliveryError",
    "Digest",
    "EncodeError",
    "FileSink",
    "FileSource",
    "GeneratorSource",
    "HealthServer",
    "InvalidEventError",
    "InvalidMessageError",
    "MemoryDedupStore",
    "MemorySink",
    "MemorySource",
    "MissingDependencyError",
    "NoData",
    "PermanentDeliveryError",
    "Pipeline",
    "PluginError",
    "RateLimit",
    "RawMessage",
    "RedisDedupStore",
    "Retry",
    "RetryableDeliveryError",
    "Route",
    "Sink",
    "Source",
    "StateStore",
    "Timestamp",
    "Tracing",
    "WindowCounter",
    "__version__",
    "bindings",
    "cesql",
    "digest",
    "extensions",
    "filters",
    "formats",
    "json_schema",
    "load_pipeline",
    "once_per",
    "parse_duration",
    "parse_retry_after",
    "plugins",
    "prometheus_text",
    "threshold",
    "validate_file",
]
