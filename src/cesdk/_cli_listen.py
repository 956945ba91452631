"""``cesdk listen``: an HTTP/1.1 receiver that prints every event, like Knative's event-display.

A small server on asyncio streams (core carries no HTTP framework): Content-Length and
chunked bodies, keep-alive, ``Expect: 100-continue``, limits on header and body size.
Each request is decoded with the sans-I/O HTTP binding and answered ``204``; a request
that is no valid CloudEvent gets ``400`` with an RFC 9457 problem body naming the bad
attribute, and an unknown event format ``415``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Final, TextIO

import orjson

from cesdk._adapters.console import render
from cesdk._errors import DecodeError, InvalidEventError
from cesdk._event import CloudEvent
from cesdk.bindings import http as http_binding
from cesdk.formats import json as json_format

__all__ = ["EventDisplay", "add_parser"]

log = logging.getLogger("cesdk.listen")

_HEAD_LIMIT: Final = 64 * 1024
_MAX_HEADERS: Final = 100
_IDLE_TIMEOUT: Final = 75.0  # seconds a kept-alive connection may stay silent
Answer = tuple[int, dict[str, str], bytes]


class _BadRequestError(Exception):
    """The request itself is malformed HTTP: answer and close the connection."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


def add_parser(commands: Any) -> None:
    """Add ``listen`` to the ``cesdk`` subcommands."""
    parser = commands.add_parser(
        "listen",
        help="receive events over HTTP and print them",
        description="Serve HTTP/1.1, decode every request as a CloudEvent (binary, "
        "structured or batched mode) and print it; answer 204, or 400/415 with a JSON "
        "problem body. Stops on Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8080, help="TCP port (default 8080; 0 picks a free one)"
    )
    parser.add_argument(
        "--max-body",
        type=int,
        default=10 * 1024 * 1024,
        metavar="BYTES",
        help="largest request body accepted (default 10 MiB)",
    )
    parser.add_argument(
        "--format",
        choices=("pretty", "json"),
        default="pretty",
        help="pretty (default) or one JSON event per line",
    )
    parser.set_defaults(handler=command)


def _problem(status: int, detail: str, **extra: Any) -> Answer:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    body.update(detail=detail, **extra)
    return status, {"content-type": "application/problem+json"}, orjson.dumps(body)


class EventDisplay:
    """The receiver: decode each request, print its events, answer.

    Args:
        output: where events are printed.
        format: ``"pretty"`` or ``"json"`` (one structured event per line).
        max_body: the largest body accepted, in bytes.
    """

    def __init__(self, output: TextIO, *, format: str = "pretty", max_body: int = 10 << 20):
        self.output = output
        self.format = format
        self.max_body = max_body
        self.color = format == "pretty" and output.isatty()
        self.received = 0
        self._writers: set[asyncio.StreamWriter] = set()

    def show(self, event: CloudEvent) -> None:
        """Print one event."""
        self.received += 1
        if self.format == "json":
            self.output.write(json_format.encode(event).decode() + "\n")
        else:
            self.output.write(render(event, color=self.color) + "\n\n")
        self.output.flush()

    def answer(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        """Return the response to one complete request."""
        if method in ("GET", "HEAD") and path.split("?", 1)[0] == "/healthz":
            return 200, {"content-type": "text/plain"}, b"ok\n"
        if method != "POST":
            answer = _problem(405, f"send events with POST, not {method}")
            answer[1]["allow"] = "POST"
            return answer
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        try:
            if content_type.lower().lstrip().startswith("application/cloudevents-batch"):
                events = http_binding.from_http_batch(headers, body)
            else:
                events = [http_binding.from_http(headers, body)]
        except InvalidEventError as exc:
            first = next(iter(exc.errors), None)
            return _problem(400, str(exc), attribute=first, errors=exc.errors)
        except DecodeError as exc:
            essence = content_type.split(";", 1)[0].strip().lower()
            if exc.position == "content-type" and essence.startswith("application/cloudevents"):
                return _problem(415, str(exc))
            where = exc.position if isinstance(exc.position, str) else None
            return _problem(400, str(exc), attribute=where)
        except Exception as exc:  # a decoder bug: say so, and keep serving
            log.exception("cannot decode a request")
            return _problem(500, f"the receiver failed to decode the request: {exc!r}")
        for event in events:
            self.show(event)
        return 204, {}, b""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Handle one connection: requests until it closes, fails or idles out."""
        self._writers.add(writer)
        try:
            keep_alive = True
            while keep_alive:
                try:
                    async with asyncio.timeout(_IDLE_TIMEOUT):
                        head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
                    return
                except asyncio.LimitOverrunError:
                    await self._write(writer, _problem(431, "request head too large"), False)
                    return
                try:
                    method, path, version, headers = _parse_head(head)
                    keep_alive = _keeps_alive(version, headers)
                    body = await self._body(reader, writer, headers)
                    status, extra, payload = self.answer(method, path, headers, body)
                except _BadRequestError as exc:
                    await self._write(writer, _problem(exc.status, str(exc)), False)
                    return
                except asyncio.LimitOverrunError:
                    await self._write(writer, _problem(400, "chunk header line too long"), False)
                    return
                await self._write(
                    writer, (status, extra, payload), keep_alive, head=method == "HEAD"
                )
        except (ConnectionError, asyncio.IncompleteReadError):
            return  # the client went away mid-request: nothing to answer
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _body(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        headers: list[tuple[str, str]],
    ) -> bytes:
        fields = {k.lower(): v.strip() for k, v in headers}
        encoding = fields.get("transfer-encoding")
        length = fields.get("content-length")
        if encoding is not None and length is not None:
            # Both framings at once is how request smuggling starts (RFC 9112 6.1).
            raise _BadRequestError(400, "Transfer-Encoding and Content-Length together")
        if encoding is not None and encoding.lower() != "chunked":
            raise _BadRequestError(501, f"unsupported Transfer-Encoding {encoding!r}")
        if length is not None and (not length.isdigit() or len(length) > 18):
            raise _BadRequestError(400, f"bad Content-Length {length!r}")
        if length is not None and int(length) > self.max_body:
            raise _BadRequestError(413, f"body larger than {self.max_body} bytes")
        if fields.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if encoding is not None:
            return await self._chunked(reader)
        return await reader.readexactly(int(length)) if length else b""

    async def _chunked(self, reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = await reader.readuntil(b"\r\n")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequestError(400, "bad chunk size") from None
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailer fields carry nothing we use
                return b"".join(parts)
            total += size
            if total > self.max_body:
                raise _BadRequestError(413, f"body larger than {self.max_body} bytes")
            parts.append(await reader.readexactly(size))
            if await reader.readexactly(2) != b"\r\n":
                raise _BadRequestError(400, "chunk not followed by CRLF")

    async def _write(
        self, writer: asyncio.StreamWriter, answer: Answer, keep_alive: bool, *, head: bool = False
    ) -> None:
        status, headers, body = answer
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
        if status != 204:
            lines.append(f"content-length: {len(body)}")
        lines.extend(f"{name}: {value}" for name, value in headers.items())
        if not keep_alive:
            lines.append("connection: close")
        writer.write("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + (b"" if head else body))
        await writer.drain()

    def close_connections(self) -> None:
        """Close every open connection (kept-alive ones would hold shutdown)."""
        for writer in list(self._writers):
            writer.close()


def _parse_head(head: bytes) -> tuple[str, str, str, list[tuple[str, str]]]:
    lines = head[:-4].decode("latin-1").split("\r\n")
    request = lines[0].split(" ")
    if len(request) != 3 or not request[2].startswith("HTTP/1."):
        raise _BadRequestError(400, "malformed request line")
    if len(lines) - 1 > _MAX_HEADERS:
        raise _BadRequestError(431, f"more than {_MAX_HEADERS} header fields")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip() or line[0] in " \t":
            raise _BadRequestError(400, f"malformed header line {line[:40]!r}")
        headers.append((name, value.strip(" \t")))
    return request[0], request[1], request[2], headers


def _keeps_alive(version: str, headers: list[tuple[str, str]]) -> bool:
    tokens = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens


async def listen(
    display: EventDisplay, host: str, port: int, *, ready: Callable[[int], None]
) -> None:
    """Serve until SIGINT or SIGTERM; call ``ready`` with the bound port first."""
    server = await asyncio.start_server(display.serve, host, port, limit=_HEAD_LIMIT)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    ready(server.sockets[0].getsockname()[1])
    async with server:
        await stop.wait()
        server.close()
        display.close_connections()
        await server.wait_closed()


def command(args: argparse.Namespace) -> int:
    """Run ``cesdk listen``; return the exit status."""
    display = EventDisplay(sys.stdout, format=args.format, max_body=args.max_body)

    def ready(port: int) -> None:
        print(
            f"cesdk listen: listening on http://{args.host}:{port}/ (Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )

    try:
        asyncio.run(listen(display, args.host, args.port, ready=ready))
    except OSError as exc:
        print(f"cesdk listen: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"cesdk listen: stopped after {display.received} event(s)", file=sys.stderr)
    return 0
