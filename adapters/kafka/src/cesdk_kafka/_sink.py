"""KafkaSink: produce CloudEvents as Kafka records, acknowledged by all in-sync replicas."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from cesdk import CloudEvent, RetryableDeliveryError
from cesdk.bindings.kafka import KeyMapper, partitionkey_mapper, to_binary, to_structured
from cesdk_kafka._connection import Connection
from cesdk_kafka._errors import classify

__all__ = ["KafkaSink"]

log = logging.getLogger("cesdk.kafka")


class KafkaSink:
    """Send each event to a Kafka topic; ``send`` returns once the brokers acknowledged it.

    Records are produced with ``acks="all"``; concurrent sends share batches, which
    wait up to ``linger_ms`` to fill. Failures are classified: lost brokers, timeouts
    and errors the broker marks retriable raise ``RetryableDeliveryError``; a record
    too large, an invalid topic or refused authorisation ``PermanentDeliveryError``.

    Args:
        topic: the topic to produce to.
        bootstrap_servers: ``host:port`` (comma-separated) or a list.
        mode: ``"binary"`` (attributes in ``ce_`` headers, the default) or
            ``"structured"`` (the JSON format in the value).
        key: the record key: ``None`` (no key), ``"partitionkey"`` (the Partitioning
            extension's value, so one key's events share a partition) or a function of
            the event.
        linger_ms: how long a batch waits for more records.
        max_batch_size: bytes per partition batch. Larger than aiokafka's 16 KiB
            default: many concurrent sends would otherwise queue on full batches.
        max_request_size: the largest request the producer sends.
        client_id, security_protocol, ssl_context, ssl_cafile, ssl_certfile,
            ssl_keyfile, sasl_mechanism, sasl_username, sasl_password: see
            ``Connection``: TLS and SASL PLAIN / SCRAM.
        producer_options: more ``AIOKafkaProducer`` keyword arguments.

    Example:
        ::

            sink = KafkaSink("alerts", bootstrap_servers="kafka:9092", key="partitionkey")
    """

    def __init__(
        self,
        topic: str,
        *,
        bootstrap_servers: str | Sequence[str] = "localhost:9092",
        mode: Literal["binary", "structured"] = "binary",
        key: Literal["partitionkey"] | KeyMapper | None = None,
        linger_ms: int = 5,
        max_batch_size: int = 524_288,
        max_request_size: int = 1_048_576,
        client_id: str = "cesdk",
        security_protocol: str | None = None,
        ssl_context: Any = None,
        ssl_cafile: str | None = None,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        sasl_mechanism: str | None = None,
        sasl_username: str | None = None,
        sasl_password: str | None = None,
        producer_options: Mapping[str, Any] | None = None,
    ) -> None:
        if not topic:
            raise ValueError("KafkaSink needs a topic")
        if mode not in ("binary", "structured"):
            raise ValueError(f"mode must be 'binary' or 'structured', not {mode!r}")
        if key == "partitionkey":
            self.key_mapper: KeyMapper | None = partitionkey_mapper
        elif key is None or callable(key):
            self.key_mapper = key
        else:
            raise ValueError(f"key must be None, 'partitionkey' or a function, not {key!r}")
        self.topic = topic
        self.mode = mode
        self.linger_ms = linger_ms
        self.max_batch_size = min(max_batch_size, max_request_size)
        self.max_request_size = max_request_size
        self.connection = Connection(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            security_protocol=security_protocol,
            ssl_context=ssl_context,
            ssl_cafile=ssl_cafile,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            sasl_mechanism=sasl_mechanism,
            sasl_username=sasl_username,
            sasl_password=sasl_password,
        )
        self.producer_options = dict(producer_options or {})
        self._encode = to_binary if mode == "binary" else to_structured
        self._producer: AIOKafkaProducer | None = None
        self._open = False
        self._starting = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str, *, mode: str = "binary", **options: Any) -> KafkaSink:
        """Return a sink for ``kafka://host:port[,host:port]/topic`` (as ``cesdk send`` uses).

        Raises:
            ValueError: the URL names no broker or no topic.
        """
        parts = urlsplit(url)
        if parts.scheme != "kafka":
            raise ValueError(f"{url!r} is not a kafka:// URL")
        topic = unquote(parts.path.lstrip("/"))
        if not parts.netloc or not topic or "/" in topic:
            raise ValueError(f"{url!r}: expected kafka://host:port/topic")
        if mode not in ("binary", "structured"):
            raise ValueError(f"mode must be 'binary' or 'structured', not {mode!r}")
        return cls(topic, bootstrap_servers=parts.netloc, mode=mode, **options)  # type: ignore[arg-type]  # checked above

    def __repr__(self) -> str:
        return f"KafkaSink({self.topic!r}, mode={self.mode!r})"

    async def __aenter__(self) -> KafkaSink:
        self._open = True
        try:
            await self._start()
        except RetryableDeliveryError as exc:
            # Brokers down at start-up: each send tries again, so the pipeline retries
            # and dead-letters as for any other outage instead of failing to start.
            log.warning("%r: %s; connecting again on the next send", self, exc)
        return self

    async def _start(self) -> AIOKafkaProducer:
        async with self._starting:
            if self._producer is not None:
                return self._producer
            producer = AIOKafkaProducer(
                **self.connection.client_options(
                    {
                        "acks": "all",
                        "linger_ms": self.linger_ms,
                        "max_batch_size": self.max_batch_size,
                        "max_request_size": self.max_request_size,
                        **self.producer_options,
                    }
                )
            )
            try:
                await producer.start()
            except (KafkaError, OSError) as exc:
                await producer.stop()
                raise classify(exc, self.topic) from exc
            self._producer = producer
            return producer

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()  # flushes what is batched

    async def send_batch(self, events: Sequence[CloudEvent]) -> list[BaseException | None]:
        """Produce the events together; return, per event, ``None`` or why it failed.

        The records share producer batches and are awaited together, which is how
        the pipeline moves a fetched Kafka batch on. Each failure is classified as in
        ``send``.
        """
        if not self._open:
            error = RetryableDeliveryError(f"{self!r} is not open: use it with 'async with'")
            return [error] * len(events)
        try:
            producer = self._producer or await self._start()
        except RetryableDeliveryError as exc:
            return [exc] * len(events)
        outcomes: list[BaseException | None] = [None] * len(events)
        waiting: list[tuple[int, asyncio.Future[Any]]] = []
        for index, event in enumerate(events):
            try:
                message = self._encode(event, key_mapper=self.key_mapper)
                key, partition = message.key, None
                if key is None and message.value is None:
                    key = b""  # as in send: aiokafka refuses a record with neither
                    partition = random.choice(sorted(await producer.partitions_for(self.topic)))
                waiting.append(
                    (
                        index,
                        await producer.send(
                            self.topic,
                            message.value,
                            key=key,
                            headers=message.headers,
                            partition=partition,
                        ),
                    )
                )
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError) as exc:
                outcomes[index] = classify(exc, self.topic)
            except Exception as exc:  # EncodeError and the like: this event only
                outcomes[index] = exc
        if waiting:
            acks = await asyncio.gather(*(sent for _, sent in waiting), return_exceptions=True)
            for (index, _), ack in zip(waiting, acks, strict=True):
                if isinstance(ack, (KafkaError, OSError)):
                    outcomes[index] = classify(ack, self.topic)
                elif isinstance(ack, BaseException):
                    outcomes[index] = ack
        return outcomes

    async def send(self, event: CloudEvent) -> None:
        """Produce the event and wait until the brokers acknowledged it.

        Raises:
            RetryableDeliveryError: brokers unreachable or slow, or a retriable error.
            PermanentDeliveryError: the record was refused (too large, bad topic).
        """
        if not self._open:
            raise RetryableDeliveryError(f"{self!r} is not open: use it with 'async with'")
        producer = self._producer or await self._start()
        message = self._encode(event, key_mapper=self.key_mapper)
        key, partition = message.key, None
        try:
            if key is None and message.value is None:
                # An event without data has a null value (section 3.2.2); aiokafka refuses
                # a record with neither key nor value, so it gets an empty key, and a
                # random partition as a keyless record would.
                key = b""
                partition = random.choice(sorted(await producer.partitions_for(self.topic)))
            sent = await producer.send(
                self.topic, message.value, key=key, headers=message.headers, partition=partition
            )
            await sent
        except asyncio.CancelledError:
            raise
        except (KafkaError, OSError) as exc:
            raise classify(exc, self.topic) from exc
