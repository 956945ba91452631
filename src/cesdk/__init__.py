"""cesdk: a strict, fast CloudEvents 1.0 SDK.

The flat public API lives here; formats and bindings are sub-namespaces::

    import cesdk
    ev = cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/prod",
                          data={"reason": "BackOff"})
    body = cesdk.formats.json.encode(ev)
    msg = cesdk.bindings.http.to_binary(ev)
"""

from cesdk import bindings, extensions, formats
from cesdk._errors import (
    CESDKError,
    DecodeError,
    EncodeError,
    InvalidEventError,
    InvalidMessageError,
    MissingDependencyError,
)
from cesdk._event import NO_DATA, CloudEvent, NoData
from cesdk._types import Timestamp

__version__ = "0.1.0"

__all__ = [
    "NO_DATA",
    "CESDKError",
    "CloudEvent",
    "DecodeError",
    "EncodeError",
    "InvalidEventError",
    "InvalidMessageError",
    "MissingDependencyError",
    "NoData",
    "Timestamp",
    "__version__",
    "bindings",
    "extensions",
    "formats",
]
