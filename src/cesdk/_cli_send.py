"""``cesdk send``: emit events to HTTP, Kafka, NATS, AMQP, MQTT or a WebSocket.

HTTP goes through the standard library (``http.client``) and the sans-I/O HTTP binding,
so core needs no HTTP client. The others go through the sink plugins of their adapter
distributions (``cesdk-kafka``, ``cesdk-nats``, ``cesdk-amqp``, ``cesdk-mqtt``,
``cesdk-http`` for ws://), loaded by name; each provides ``from_url(url, mode=...)``.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from cesdk import plugins
from cesdk._cli_progress import Progress
from cesdk._errors import CESDKError, InvalidEventError, PluginError
from cesdk._event import NO_DATA, CloudEvent
from cesdk._types import is_json_media_type
from cesdk.bindings import http as http_binding

__all__ = ["add_parser"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A command line that cannot work: exit 2 with the message."""


def add_parser(commands: Any) -> None:
    """Add ``send`` to the ``cesdk`` subcommands."""
    parser = commands.add_parser(
        "send",
        help="send events to an http(s), kafka, nats, amqp, mqtt or ws(s) target",
        description="Build a CloudEvent from the options and send it (--count times). "
        "TARGET is http(s)://host:port/path, kafka://host:port/topic, "
        "nats://host:port/subject, amqp://user:pass@host:port/vhost?exchange=X, "
        "mqtt://host:port/topic or ws://host:port/path; all but HTTP need their adapter "
        "(cesdk-kafka, cesdk-nats, cesdk-amqp, cesdk-mqtt, cesdk-http) installed.",
    )
    parser.add_argument("target", metavar="TARGET", help="where to send")
    parser.add_argument("--type", required=True, help="the event type")
    parser.add_argument("--source", required=True, help="the event source (a URI-reference)")
    parser.add_argument("--id", help="the event id (default: a new UUID; with --count, ID-N)")
    parser.add_argument("--subject", help="the event subject")
    parser.add_argument("--data", help="JSON text, or @FILE to read the data from a file")
    parser.add_argument(
        "--datacontenttype",
        help="the data's media type (default application/json when --data is given)",
    )
    parser.add_argument("--dataschema", help="an absolute URI of the data's schema")
    parser.add_argument(
        "--extension",
        "-e",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extension attribute (a String); repeat for several",
    )
    parser.add_argument(
        "--mode",
        choices=("binary", "structured"),
        default="binary",
        help="content mode (default binary)",
    )
    parser.add_argument("--count", type=int, default=1, help="send N events (default 1)")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for each answer (default 10)"
    )
    parser.set_defaults(handler=command)


def _data(args: argparse.Namespace) -> tuple[Any, str | None]:
    """Return the event data and its content type from --data and --datacontenttype."""
    if args.data is None:
        return NO_DATA, args.datacontenttype
    content_type = args.datacontenttype or "application/json"
    raw: bytes | str = args.data
    if args.data.startswith("@"):
        name = args.data[1:]
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise UsageError(f"--data {args.data}: {exc.strerror or exc}") from None
    if is_json_media_type(content_type):
        try:
            return orjson.loads(raw), content_type
        except orjson.JSONDecodeError as exc:
            raise UsageError(
                f"--data is not JSON ({exc}); give --datacontenttype for other data"
            ) from None
    return raw, content_type


def _events(args: argparse.Namespace) -> Callable[[int], CloudEvent]:
    data, content_type = _data(args)
    extensions: dict[str, str] = {}
    for item in args.extension:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--extension {item!r} is not NAME=VALUE")
        extensions[name] = value
    optional = {
        "subject": args.subject,
        "datacontenttype": content_type,
        "dataschema": args.dataschema,
    }

    def make(n: int) -> CloudEvent:
        ids = {} if args.id is None else {"id": args.id if args.count == 1 else f"{args.id}-{n}"}
        return CloudEvent(
            type=args.type,
            source=args.source,
            data=data,
            extensions=extensions,
            **ids,
            **{k: v for k, v in optional.items() if v is not None},
        )

    make(0)  # an invalid event fails here, before anything is sent
    return make


class _HttpTarget:
    """POST messages over one keep-alive connection, reconnecting when it was closed."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        if not parts.hostname:
            raise UsageError(f"{url!r} names no host")
        self.url = url
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.https = parts.scheme == "https"
        self._conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.https:
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def post(self, message: http_binding.HttpMessage) -> tuple[int, str, bytes]:
        headers = {**message.headers, "user-agent": "cesdk-send"}
        for attempt in (1, 2):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = self._connect()
            try:
                self._conn.request("POST", self.path, body=message.body, headers=headers)
                response = self._conn.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                # A kept-alive connection the server closed while idle: send once more.
                if reused and attempt == 1:
                    continue
                raise
            if response.will_close:
                self.close()
            return response.status, response.reason, body
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _send_http(args: argparse.Namespace, events: Iterator[CloudEvent], progress: Progress) -> int:
    target = _HttpTarget(args.target, args.timeout)
    encode = http_binding.to_binary if args.mode == "binary" else http_binding.to_structured
    sent = 0
    try:
        for event in events:
            try:
                status, reason, body = target.post(encode(event))
            except OSError as exc:
                if sent:
                    progress.done(f"sent {sent}/{args.count}")
                print(f"cesdk send: {args.target}: {exc}", file=sys.stderr)
                return EXIT_FAILURE
            if not 200 <= status < 300:
                if sent:
                    progress.done(f"sent {sent}/{args.count}")
                excerpt = body[:500].decode("utf-8", "replace")
                print(
                    f"cesdk send: {args.target} answered {status} {reason} to event "
                    f"{event.id}: {excerpt}",
                    file=sys.stderr,
                )
                return EXIT_FAILURE
            sent += 1
            if args.count == 1:
                print(
                    f"cesdk send: {event.id} -> {args.target}: {status} {reason}", file=sys.stderr
                )
            else:
                progress.update(f"sent {sent}/{args.count}")
    finally:
        target.close()
    return EXIT_OK


# URL scheme -> (sink plugin name, the distribution that provides it).
_PLUGIN_SCHEMES = {
    "kafka": ("kafka", "cesdk-kafka"),
    "nats": ("nats", "cesdk-nats"),
    "tls": ("nats", "cesdk-nats"),
    "amqp": ("amqp", "cesdk-amqp"),
    "amqps": ("amqp", "cesdk-amqp"),
    "mqtt": ("mqtt", "cesdk-mqtt"),
    "mqtts": ("mqtt", "cesdk-mqtt"),
    "ws": ("websocket", "cesdk-http"),
    "wss": ("websocket", "cesdk-http"),
}


def _send_plugin(
    args: argparse.Namespace, scheme: str, events: Iterator[CloudEvent], progress: Progress
) -> int:
    name, distribution = _PLUGIN_SCHEMES[scheme]
    try:
        sink_class = plugins.load("cesdk.sinks", name)
    except PluginError:
        print(
            f"cesdk send: {scheme}:// targets need the {name} sink, which is not "
            f"installed; install it with: pip install {distribution}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from_url = getattr(sink_class, "from_url", None)
    if from_url is None:
        print(
            f"cesdk send: the {scheme} sink ({sink_class.__module__}) has no from_url(); "
            "it cannot be used as a send target",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        sink = from_url(args.target, mode=args.mode)
    except (ValueError, CESDKError) as exc:
        print(f"cesdk send: {args.target!r}: {exc}", file=sys.stderr)
        return EXIT_USAGE

    async def send_all() -> int:
        sent = 0
        async with sink:
            for event in events:
                await sink.send(event)
                sent += 1
                if args.count > 1:
                    progress.update(f"sent {sent}/{args.count}")
        return sent

    try:
        asyncio.run(send_all())
    except CESDKError as exc:
        print(f"cesdk send: {args.target}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if args.count == 1:
        print(f"cesdk send: sent 1 event to {args.target}", file=sys.stderr)
    return EXIT_OK


def command(args: argparse.Namespace) -> int:
    """Run ``cesdk send``; return the exit status."""
    if args.count < 1:
        print("cesdk send: --count must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        make = _events(args)
    except UsageError as exc:
        print(f"cesdk send: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InvalidEventError as exc:
        for name, reason in exc.errors.items():
            print(f"cesdk send: invalid event: {name}: {reason}", file=sys.stderr)
        return EXIT_USAGE
    events = (make(n) for n in range(args.count))
    scheme = urlsplit(args.target).scheme.lower()
    progress = Progress()
    try:
        if scheme in ("http", "https"):
            code = _send_http(args, events, progress)
        elif scheme in _PLUGIN_SCHEMES:
            code = _send_plugin(args, scheme, events, progress)
        else:
            print(
                f"cesdk send: {args.target!r}: TARGET starts with http(s)://, kafka://, "
                "nats://, amqp(s)://, mqtt(s):// or ws(s)://",
                file=sys.stderr,
            )
            return EXIT_USAGE
    except UsageError as exc:
        print(f"cesdk send: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if code == EXIT_OK and args.count > 1:
        progress.done(f"cesdk send: sent {args.count} events to {args.target}")
    return code
