"""Watch streams: one JSON object per line, written in large chunks (few syscalls)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from aiohttp import web

from cesdk_kubernetes.testing._objects import Obj
from cesdk_kubernetes.testing._resources import ResourceDef
from cesdk_kubernetes.testing._selectors import Selector
from cesdk_kubernetes.testing._status import ApiStatusError, bad_request
from cesdk_kubernetes.testing._store import Store
from cesdk_kubernetes.testing._watchers import Watcher

__all__ = ["WatchSession", "WatchStreams"]

# Big enough to need few writes, small enough that the client's line splitting (which
# copies the rest of its buffer for each line) stays cheap.
_CHUNK = 32 * 1024
_PREFIX = {
    kind: b'{"type":"' + kind.encode() + b'","object":'
    for kind in ("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR")
}
_TRUE = {"1", "t", "T", "true", "True", "TRUE"}


def _line(kind: str, obj: Obj) -> bytes:
    return _PREFIX[kind] + orjson.dumps(obj) + b"}\n"


class WatchSession:
    """One open watch connection, as the helpers that drop or bookmark it see it."""

    def __init__(
        self, watcher: Watcher, request: web.BaseRequest, wake: asyncio.Event, bookmarks: bool
    ) -> None:
        self.watcher = watcher
        self.rd: ResourceDef = watcher.rd
        self.namespace = watcher.namespace
        self.transport = request.transport
        self.wake = wake
        self.bookmarks = bookmarks
        self.stop = False
        self.bookmark_requested = False

    def end(self, *, abrupt: bool) -> None:
        """End the stream: cut the connection (``abrupt``) or finish the response cleanly."""
        self.stop = True
        if abrupt and self.transport is not None:
            self.transport.abort()
        self.wake.set()

    def request_bookmark(self) -> None:
        """Send a BOOKMARK now, if this watch asked for bookmarks."""
        self.bookmark_requested = True
        self.wake.set()


class WatchStreams:
    """Serve watch requests and keep track of the open ones (on the server's loop)."""

    def __init__(self, store: Store, bookmark_interval: float) -> None:
        self.store = store
        self.bookmark_interval = bookmark_interval
        self.sessions: set[WatchSession] = set()

    def drop_all(self, *, abrupt: bool) -> int:
        """End every open watch; return how many there were."""
        sessions = list(self.sessions)
        for session in sessions:
            session.end(abrupt=abrupt)
        return len(sessions)

    def bookmark_all(self) -> None:
        """Make every open watch that allows bookmarks send one now."""
        for session in list(self.sessions):
            session.request_bookmark()

    async def serve(
        self,
        request: web.BaseRequest,
        rd: ResourceDef,
        namespace: str | None,
        label: Selector | None,
        field: Selector | None,
        record: Callable[[web.BaseRequest, int], None],
    ) -> web.StreamResponse:
        """Stream the changes of ``rd`` until timeoutSeconds, a drop, or the client leaves."""
        query = request.query
        timeout = _seconds(query.get("timeoutSeconds"))
        bookmarks = query.get("allowWatchBookmarks") in _TRUE
        initial_end = query.get("sendInitialEvents") in _TRUE
        rv = None if initial_end else query.get("resourceVersion")
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()

        def notify() -> None:
            loop.call_soon_threadsafe(wake.set)

        try:
            watcher, first, start_rv = self.store.watch(
                rd, namespace, label=label, field=field, resource_version=rv, wake=notify
            )
        except ApiStatusError as exc:
            if exc.code != 410:
                raise
            # A real apiserver accepts the watch, then sends the 410 as an ERROR event.
            response = await self._start(request, record)
            await response.write(_line("ERROR", exc.status))
            return response
        session = WatchSession(watcher, request, wake, bookmarks)
        self.sessions.add(session)
        try:
            response = await self._start(request, record)
            await self._write(response, first)
            if initial_end and bookmarks:
                await response.write(_line("BOOKMARK", _bookmark(rd, start_rv, initial_end=True)))
            await self._follow(session, response, timeout)
        except (ConnectionError, asyncio.CancelledError):
            session.stop = True
            raise
        finally:
            self.store.unwatch(watcher)
            self.sessions.discard(session)
        return response

    async def _start(
        self, request: web.BaseRequest, record: Callable[[web.BaseRequest, int], None]
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        record(request, 200)
        return response

    async def _follow(
        self, session: WatchSession, response: web.StreamResponse, timeout: float | None
    ) -> None:
        loop = asyncio.get_running_loop()
        watcher = session.watcher
        deadline = loop.time() + timeout if timeout else None
        next_bookmark = loop.time() + self.bookmark_interval if session.bookmarks else None
        while not session.stop:
            session.wake.clear()
            batch, rv = self.store.take(watcher)
            if batch:
                await self._write(
                    response, (r for c in batch if (r := watcher.render(c)) is not None)
                )
                continue
            now = loop.time()
            if deadline is not None and now >= deadline:
                return
            if session.bookmark_requested or (next_bookmark is not None and now >= next_bookmark):
                if session.bookmarks:
                    await response.write(_line("BOOKMARK", _bookmark(watcher.rd, rv)))
                    next_bookmark = now + self.bookmark_interval
                session.bookmark_requested = False
                continue
            moments = [t for t in (deadline, next_bookmark) if t is not None]
            try:
                async with asyncio.timeout(min(moments) - now if moments else None):
                    await session.wake.wait()
            except TimeoutError:
                pass

    async def _write(self, response: web.StreamResponse, events: Iterable[tuple[str, Obj]]) -> None:
        chunk: list[bytes] = []
        size = 0
        for kind, obj in events:
            line = _line(kind, obj)
            chunk.append(line)
            size += len(line)
            if size >= _CHUNK:
                await response.write(b"".join(chunk))
                chunk.clear()
                size = 0
        if chunk:
            await response.write(b"".join(chunk))


def _bookmark(rd: ResourceDef, rv: int, *, initial_end: bool = False) -> dict[str, Any]:
    metadata: dict[str, Any] = {"resourceVersion": str(rv)}
    if initial_end:
        metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
    return {"kind": rd.kind, "apiVersion": rd.api_version, "metadata": metadata}


def _seconds(value: str | None) -> float | None:
    if value in (None, ""):
        return None
    try:
        seconds = int(value or "")
    except ValueError:
        raise bad_request(f'timeoutSeconds: Invalid value: "{value}": must be an integer') from None
    return float(seconds) if seconds > 0 else None
