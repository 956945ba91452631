"""AMQP 1.0 with python-qpid-proton: a proton container in a thread, bridged to asyncio.

Proton is not asyncio: each AMQP 1.0 source or sink runs one ``proton.reactor.Container``
in a thread of its own. The thread hands results to the event loop with
``loop.call_soon_threadsafe``; the loop hands work to the thread as callables, through
an ``EventInjector`` (``ProtonThread.call``), so that every proton object is only ever
touched in the thread that owns it.

Messages map to the binding's ``AmqpMessage`` values and back: an application property
timestamp is a ``proton.timestamp`` (milliseconds) on the wire and a ``datetime`` in
the binding; integers go out as AMQP long, bytes as binary, the body as one data
section.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from cesdk import RawMessage
from cesdk.bindings.amqp import AmqpMessage, AmqpValue

try:
    import cproton  # proton's C binding, shipped in the same distribution
    import proton
    from proton.handlers import MessagingHandler
    from proton.reactor import ApplicationEvent, Container, EventInjector
except ImportError as exc:  # pragma: no cover - depends on the installed extra
    raise ImportError(
        'protocol="1.0" needs python-qpid-proton: pip install "cesdk-amqp[amqp10]" '
        "(it compiles from source: gcc and the Python headers must be installed)"
    ) from exc

__all__ = [
    "ACCEPTED",
    "RELEASED",
    "Endpoint",
    "Handler",
    "ProtonThread",
    "condition_text",
    "from_proton",
    "raw_message",
    "to_proton",
]

log = logging.getLogger("cesdk_amqp")

ACCEPTED: Final = proton.Delivery.ACCEPTED
RELEASED: Final = proton.Delivery.RELEASED
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_CALL: Final = "cesdk_call"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how to connect: what ``Container.connect`` needs, from an ``amqp://`` URL.

    RabbitMQ's AMQP 1.0 plugin picks the virtual host from the Open frame's hostname
    field, written ``vhost:<name>``.
    """

    url: str
    user: str | None
    password: str | None
    virtual_host: str

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        """Return the endpoint of ``amqp[s]://user:pass@host:port/vhost``."""
        parts = urlsplit(url)
        host = parts.hostname or "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
        vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
        return cls(
            url=f"{parts.scheme}://{host}:{port}",
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            virtual_host=f"vhost:{vhost}",
        )

    def connect(self, container: Container) -> Any:
        """Open a connection (no automatic reconnect: the caller decides when)."""
        options: dict[str, Any] = {"virtual_host": self.virtual_host, "reconnect": False}
        if self.user is not None:
            options.update(user=self.user, password=self.password or "")
            options["allowed_mechs"] = "PLAIN"
            options["allow_insecure_mechs"] = True  # PLAIN without TLS, as amqp:// is
        return container.connect(self.url, **options)


class Handler(MessagingHandler):
    """A messaging handler that also runs the callables ``ProtonThread.call`` sends.

    Subclasses keep their connection in ``connection`` and check ``closing`` before
    they reconnect.
    """

    connection: Any = None
    closing = False

    def on_cesdk_call(self, event: Any) -> None:
        event.subject()

    def shutdown(self) -> None:
        """Close the connection: the container's run ends once its socket is closed."""
        self.closing = True
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.close()


class ProtonThread:
    """Run a proton container with ``handler`` in a daemon thread; call into it safely."""

    def __init__(self, handler: Handler, name: str) -> None:
        self.handler = handler
        self.container = Container(handler)
        self._injector = EventInjector()
        self.container.selectable(self._injector)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._stopped = False

    def _run(self) -> None:
        try:
            self.container.run()
        except Exception:  # a bug in a handler: say so, the adapter sees the thread end
            log.exception("AMQP 1.0 thread %s ended with an error", self._thread.name)

    def start(self) -> None:
        self._thread.start()

    def call(self, function: Callable[[], object]) -> None:
        """Run ``function`` in the proton thread, soon; no-op once stopped."""
        if not self._stopped:
            self._injector.trigger(ApplicationEvent(_CALL, subject=function))

    def stop(self, timeout: float = 5.0) -> None:
        """Close the connection and end the thread (blocking: run it in an executor).

        ``Container.stop`` would leave the socket open until garbage collection, and
        the broker would keep unsettled messages for a consumer that is gone; closing
        the connection returns them at once, and the container's run ends by itself.
        """
        if self._stopped:
            return
        self.call(self.handler.shutdown)
        self._stopped = True
        self._injector.close()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("AMQP 1.0 thread %s did not end within %ss", self._thread.name, timeout)


def condition_text(endpoint: Any) -> str:
    """Describe the error condition of an endpoint (link, session, connection), a
    transport or a delivery's remote state."""
    condition = getattr(endpoint, "remote_condition", None) or getattr(endpoint, "condition", None)
    if condition is None:
        return "closed without an error condition"
    description = f": {condition.description}" if condition.description else ""
    return f"{condition.name}{description}"


# -- messages ------------------------------------------------------------------------------


def _wire_value(value: AmqpValue) -> object:
    if isinstance(value, datetime):
        return proton.timestamp((value - _EPOCH) // timedelta(milliseconds=1))
    return value  # proton writes int as long, bytes as binary, str as string


def to_proton(
    message: AmqpMessage, *, durable: bool, subject: str | None, message_id: str | None
) -> Any:
    """Return the proton ``Message`` for a binding message, body as one data section."""
    out = proton.Message(
        body=message.body,
        properties={name: _wire_value(v) for name, v in message.application_properties.items()},
        durable=durable,
    )
    # Set only what there is: proton would write None as the text "None".
    if message_id is not None:
        out.id = message_id
    if subject is not None:
        out.subject = subject
    if message.properties.get("content_type") is not None:
        out.content_type = message.properties["content_type"]
    out.inferred = True  # bytes as a data section, not an amqp-value
    return out


def _binding_value(value: object) -> object:
    if isinstance(value, proton.timestamp):
        return _EPOCH + timedelta(milliseconds=int(value))
    if isinstance(value, memoryview | bytearray):  # proton's binary
        return bytes(value)
    return value


def _content_type(message: Any) -> str | None:
    # Message.content_type turns an absent content type into the text "None"
    # (symbol(None)); the C accessor tells absent from present.
    value = cproton.pn_message_get_content_type(message._msg)
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Received:
    """A received message in plain values, taken out of proton in its thread."""

    message: AmqpMessage
    message_id: str | None
    subject: str | None
    redelivered: bool


def from_proton(message: Any) -> Received:
    """Return a proton ``Message`` as plain values: ``from_amqp`` reads ``.message``."""
    body = message.body
    if isinstance(body, memoryview | bytearray):
        body = bytes(body)
    elif body is None:
        body = b""
    application_properties: dict[str, Any] = {}
    if isinstance(message.properties, Mapping):
        application_properties = {
            name: _binding_value(value) for name, value in message.properties.items()
        }
    properties: dict[str, Any] = {}
    content_type = _content_type(message)
    if content_type is not None:
        properties["content_type"] = content_type
    return Received(
        AmqpMessage(properties, application_properties, body),
        None if message.id is None else str(message.id),
        None if message.subject is None else str(message.subject),
        bool(message.delivery_count) or not message.first_acquirer,
    )


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def raw_message(received: Received, *, queue: str, address: str) -> RawMessage:
    """Return the message as received: body, application properties as text, origin."""
    message = received.message
    body = message.body if isinstance(message.body, bytes) else _text(message.body).encode()
    headers = tuple((str(k), _text(v)) for k, v in message.application_properties.items())
    metadata: dict[str, Any] = {
        "queue": queue,
        "address": address,
        "redelivered": received.redelivered,
        "protocol": "1.0",
    }
    with contextlib.suppress(KeyError):
        metadata["content_type"] = message.properties["content_type"]
    if received.message_id is not None:
        metadata["message_id"] = received.message_id
    if received.subject is not None:
        metadata["subject"] = received.subject
    return RawMessage(body, headers, metadata)
