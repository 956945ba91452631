"""The one exception tree of cesdk.

Every error the library raises on purpose derives from ``CESDKError``, and
mixes in the builtin it refines so that ``except ValueError`` keeps working::

    CESDKError (Exception)
    ├── InvalidEventError (ValueError)        .errors: {attribute: reason}
    │   └── InvalidMessageError (+ DecodeError): the bytes parse, the event they carry is invalid
    ├── DecodeError (ValueError)              bytes/headers that are not a valid CloudEvent
    │   └── InvalidMessageError
    ├── EncodeError (ValueError)              an event that this format/binding cannot carry
    ├── MissingDependencyError (ImportError)  an optional extra is not installed
    ├── DeliveryError                         a sink could not deliver an event
    │   ├── RetryableDeliveryError            .retry_after: seconds to wait, or None
    │   └── PermanentDeliveryError            retrying cannot help (4xx, invalid event)
    ├── PluginError (LookupError)             a plugin is missing, disabled or ambiguous
    └── ConfigError (ValueError)              a pipeline file that cannot be used: .file .line .key

``InvalidMessageError`` is both a ``DecodeError`` and an ``InvalidEventError``: a
decoder's caller can catch ``DecodeError`` alone and still read ``.errors``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = [
    "CESDKError",
    "ConfigError",
    "DecodeError",
    "DeliveryError",
    "EncodeError",
    "InvalidEventError",
    "InvalidMessageError",
    "MissingDependencyError",
    "PermanentDeliveryError",
    "PluginError",
    "RetryableDeliveryError",
]


class CESDKError(Exception):
    """Root of every error that cesdk raises on purpose."""


class InvalidEventError(CESDKError, ValueError):
    """Attributes or data that do not make a valid CloudEvent.

    Attributes:
        errors: maps each offending attribute name (or ``"data"``) to the reason;
            every problem found is reported at once.
    """

    def __init__(self, errors: Mapping[str, str], message: str | None = None) -> None:
        self.errors: dict[str, str] = dict(errors)
        if message is None:
            details = "; ".join(f"{name}: {reason}" for name, reason in self.errors.items())
            message = f"invalid CloudEvent: {details}"
        super().__init__(message)


class DecodeError(CESDKError, ValueError):
    """Bytes or headers that are not a valid CloudEvent in the given format or binding.

    Attributes:
        position: the character offset or header name where decoding failed, if known.
    """

    def __init__(self, message: str, *, position: int | str | None = None) -> None:
        self.position = position
        super().__init__(message)


class InvalidMessageError(DecodeError, InvalidEventError):
    """A message that decodes, but whose attributes do not make a valid CloudEvent."""

    def __init__(self, errors: Mapping[str, str], *, where: str) -> None:
        InvalidEventError.__init__(self, errors)
        details = "; ".join(f"{name}: {reason}" for name, reason in self.errors.items())
        self.position = None
        Exception.__init__(self, f"{where} carries an invalid CloudEvent: {details}")


class EncodeError(CESDKError, ValueError):
    """An event that the chosen format or binding cannot represent."""


class MissingDependencyError(CESDKError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class DeliveryError(CESDKError):
    """A sink could not deliver an event. Sinks raise a subclass, never return ``False``."""


class RetryableDeliveryError(DeliveryError):
    """A failure that may pass: the pipeline retries with backoff.

    Attributes:
        retry_after: seconds the receiver asked to wait (``Retry-After``), or ``None``.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class PermanentDeliveryError(DeliveryError):
    """A failure that retrying cannot fix: the pipeline dead-letters at once."""


class PluginError(CESDKError, LookupError):
    """A plugin that is missing, disabled, or registered twice under one name."""


class ConfigError(CESDKError, ValueError):
    """A pipeline file that cannot be used; names the file, line and key.

    Attributes:
        file: the file, as given.
        line: the 1-based line, or ``None`` when the problem has no single place.
        key: the key path, such as ``routes[0].retry.max_attempts`` (``""`` for the
            file as a whole).
        reason: the problem alone, without the location.
        problems: every problem found; ``[self]`` for a single one.
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str = "",
        line: int | None = None,
        key: str = "",
        problems: Sequence[ConfigError] = (),
    ) -> None:
        self.file, self.line, self.key, self.reason = file, line, key, reason
        self.problems: list[ConfigError] = list(problems) or [self]
        place = file + (f":{line}" if line is not None else "")
        text = ": ".join(part for part in (place, key, reason) if part)
        if len(self.problems) > 1:
            text = f"{len(self.problems)} problems in {file}:\n" + "\n".join(
                f"  {problem}" for problem in self.problems
            )
        super().__init__(text)
