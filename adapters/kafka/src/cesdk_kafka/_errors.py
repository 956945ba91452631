"""Map aiokafka's errors to the pipeline's: retry what may pass, dead-letter the rest."""

from __future__ import annotations

from typing import Final

from aiokafka import errors as kafka_errors

from cesdk import DeliveryError, PermanentDeliveryError, RetryableDeliveryError

__all__ = ["classify"]

# Errors without aiokafka's ``retriable`` flag that still pass with time: a broker
# that is down or slow, a producer whose request timed out.
_TRANSIENT: Final = (
    kafka_errors.KafkaTimeoutError,
    kafka_errors.KafkaConnectionError,
    kafka_errors.KafkaUnavailableError,
    kafka_errors.NoBrokersAvailable,
    kafka_errors.NodeNotReadyError,
    kafka_errors.RequestTimedOutError,
    kafka_errors.BrokerNotAvailableError,
)
# Errors that no retry fixes: the record itself is refused.
_REFUSED: Final = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordTooLargeError,
    kafka_errors.RecordListTooLargeError,
    kafka_errors.InvalidTopicError,
    kafka_errors.TopicAuthorizationFailedError,
    kafka_errors.CorruptRecordException,
)


def classify(exc: BaseException, topic: str) -> DeliveryError:
    """Return the delivery error that describes ``exc``, raised sending to ``topic``.

    Too-large records, invalid topics and refused authorisation are permanent; errors
    aiokafka flags ``retriable`` and lost or slow brokers are retryable; any other
    Kafka error is permanent.
    """
    message = f"kafka topic {topic!r}: {type(exc).__name__}: {exc}"
    if isinstance(exc, _REFUSED):
        return PermanentDeliveryError(message)
    if isinstance(exc, _TRANSIENT) or getattr(exc, "retriable", False):
        return RetryableDeliveryError(message)
    if isinstance(exc, OSError):
        return RetryableDeliveryError(message)
    return PermanentDeliveryError(message)
