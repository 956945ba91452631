"""List-then-watch in a worker thread, as client-go's reflector does, feeding the event loop.

One ``ListWatchThread`` per watched path. It lists (paged with ``limit``/``continue``),
then watches from the list's resourceVersion with bookmarks; on ``410 Gone`` (an HTTP
answer, or an ``ERROR`` event in the stream) it lists again; on a dropped or refused
connection it watches again from the last resourceVersion it saw, with backoff. Each
line is decoded *in the thread* by the source's ``Decoder`` into an ``Item``, and items
are handed to the loop in batches through ``push`` (which blocks the thread while the
loop has ``max_batches`` unread: backpressure). ``stop()`` may be called from any
thread; it cuts the open stream so a blocked read returns at once.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, Protocol

import orjson
import urllib3
from kubernetes.client import ApiException

from cesdk_kubernetes._client import NETWORK_ERRORS, KubeClient

__all__ = ["Decoder", "Item", "ListWatchThread", "StreamSpec"]

log = logging.getLogger("cesdk_kubernetes")

DELIVER: Final = 0
SKIP: Final = 1


class Item(NamedTuple):
    """One decoded line: a delivery to make (``DELIVER``), or progress only (``SKIP``)."""

    kind: int
    rv: str | None  # the resourceVersion this item takes the stream to, if known
    event: Any = None
    raw: bytes = b""
    error: Exception | None = None
    meta: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """One path to list and watch, and the checkpoint key of its position."""

    key: str
    path: str
    label_selector: str | None = None
    field_selector: str | None = None


class Decoder(Protocol):
    """Turns objects into items; called only from its stream's thread (no locking needed)."""

    def decode(self, change: str, obj: Any, raw: bytes, *, emit: bool) -> Item:
        """Decode one object: ``change`` is ADDED, MODIFIED, DELETED or LISTED."""
        ...

    def relisted(self, seen: set[str], rv: str) -> list[Item]:
        """After a full list: items for what vanished while not watching (may be empty)."""
        ...


class GoneError(Exception):
    """The resourceVersion is too old: list again."""


class _StoppedError(Exception):
    pass


def _rv_of(obj: Any) -> str | None:
    if isinstance(obj, dict):
        metadata = obj.get("metadata")
        if isinstance(metadata, dict):
            rv = metadata.get("resourceVersion")
            if isinstance(rv, str) and rv:
                return rv
    return None


def _status_code(obj: Any) -> int:
    code = obj.get("code") if isinstance(obj, dict) else None
    return code if isinstance(code, int) else 0


class ListWatchThread(threading.Thread):
    """List and watch one path forever (until ``stop``), pushing decoded items.

    Args:
        client: the API client.
        spec: what to watch.
        decoder: the source's decoder for this stream.
        push: called in this thread with each batch; returns False once the consumer is
            gone (the thread then ends). It may block for backpressure.
        start_rv: a checkpointed resourceVersion to watch from; ``None`` lists first.
        emit_existing: on the first list, deliver what exists (else only remember it).
        page_size: ``limit`` of each list page.
        watch_timeout: ``timeoutSeconds`` of each watch request.
        backoff: (first, cap) seconds between reconnection attempts.
    """

    def __init__(
        self,
        client: KubeClient,
        spec: StreamSpec,
        decoder: Decoder,
        push: Callable[[list[Item]], bool],
        *,
        start_rv: str | None,
        emit_existing: bool,
        page_size: int = 500,
        watch_timeout: int = 300,
        backoff: tuple[float, float] = (0.2, 30.0),
    ) -> None:
        super().__init__(name=f"cesdk-k8s-watch {spec.path}", daemon=True)
        self.client = client
        self.spec = spec
        self.decoder = decoder
        self.push = push
        self.rv = start_rv
        self.emit_existing = emit_existing
        self.page_size = page_size
        self.watch_timeout = watch_timeout
        self.backoff = backoff
        self.lists = 0  # how many full lists were made (for tests and logs)
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self._response: urllib3.BaseHTTPResponse | None = None

    # -- control (any thread) ---------------------------------------------------------

    def stop(self) -> None:
        """End the thread soon: cut the open stream, wake any wait."""
        self._stop_event.set()
        with self._lock:
            response = self._response
        if response is not None:
            KubeClient.close_stream(response)

    @property
    def stopping(self) -> bool:
        """True once ``stop`` was called."""
        return self._stop_event.is_set()

    # -- the thread -------------------------------------------------------------------

    def run(self) -> None:
        need_list = self.rv is None
        emit = self.emit_existing
        delay = self.backoff[0]
        while not self._stop_event.is_set():
            try:
                if need_list:
                    self._list(emit)
                    need_list = False
                emit = True  # lists after the first (410) must miss nothing
                assert self.rv is not None
                if self._watch(self.rv):
                    delay = self.backoff[0]
                    continue
                # The stream ended with nothing in it: watch again, but not in a hot loop.
            except _StoppedError:
                return
            except GoneError:
                log.info("%s: resourceVersion %s is gone; listing again", self.spec.path, self.rv)
                need_list = True
                continue
            except ApiException as exc:
                log.warning(
                    "%s: the apiserver answered %s %s; retrying in %.1fs",
                    self.spec.path,
                    exc.status,
                    exc.reason,
                    delay,
                )
            except NETWORK_ERRORS as exc:
                log.warning("%s: %s; reconnecting in %.1fs", self.spec.path, exc, delay)
            except Exception:
                log.exception("%s: unexpected error; retrying in %.1fs", self.spec.path, delay)
            if self._stop_event.wait(delay * (0.5 + random.random() / 2)):
                return
            delay = min(delay * 2, self.backoff[1])

    def _send(self, batch: list[Item]) -> None:
        if batch and not self.push(batch):
            raise _StoppedError

    def _list(self, emit: bool) -> None:
        spec = self.spec
        token: str | None = None
        seen: set[str] = set()
        while True:
            if self._stop_event.is_set():
                raise _StoppedError
            query = {
                "limit": self.page_size,
                "continue": token,
                "labelSelector": spec.label_selector,
                "fieldSelector": spec.field_selector,
            }
            try:
                body = self.client.request_raw("GET", spec.path, query=query)
            except ApiException as exc:
                if exc.status == 410 and token is not None:
                    # The continue token outlived the history: list again from the start.
                    log.info("%s: list continue token expired; listing again", spec.path)
                    token = None
                    seen.clear()
                    continue
                raise
            document = orjson.loads(body)
            metadata = document.get("metadata") or {}
            item_kind = str(document.get("kind") or "").removesuffix("List")
            api_version = document.get("apiVersion")
            batch: list[Item] = []
            for obj in document.get("items") or []:
                if isinstance(obj, dict):
                    # Items in a list carry no kind/apiVersion; watch objects do.
                    obj.setdefault("apiVersion", api_version)
                    obj.setdefault("kind", item_kind)
                    uid = (obj.get("metadata") or {}).get("uid")
                    if isinstance(uid, str):
                        seen.add(uid)
                raw = orjson.dumps(obj)
                item = self.decoder.decode("LISTED", obj, raw, emit=emit)
                # Listed items do not move the position: the list's version does, last.
                batch.append(item._replace(rv=None))
            token = metadata.get("continue") or None
            if token is None:
                rv = str(metadata.get("resourceVersion") or "")
                if not rv:
                    raise ApiException(
                        status=0, reason=f"{spec.path}: list without resourceVersion"
                    )
                self.lists += 1
                self._send([*batch, *self.decoder.relisted(seen, rv), Item(SKIP, rv)])
                self.rv = rv
                return
            self._send(batch)

    def _watch(self, rv: str) -> bool:
        """Watch from ``rv`` until the stream ends; return True if anything arrived."""
        spec = self.spec
        query = {
            "watch": "true",
            "resourceVersion": rv,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": self.watch_timeout,
            "labelSelector": spec.label_selector,
            "fieldSelector": spec.field_selector,
        }
        try:
            response = self.client.open_stream(
                spec.path, query, timeout=(10.0, self.watch_timeout + 30.0)
            )
        except ApiException as exc:
            if exc.status == 410:
                raise GoneError from exc
            raise
        with self._lock:
            self._response = response
        if self._stop_event.is_set():
            KubeClient.close_stream(response)
        received = False
        try:
            rest = b""
            for chunk in response.stream(None, decode_content=False):
                if not chunk:
                    continue
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                batch = self._lines(lines)
                if batch:
                    received = True
                    self._send(batch)
            if self._stop_event.is_set():
                raise _StoppedError
        except (urllib3.exceptions.HTTPError, OSError, ValueError, AttributeError):
            # urllib3 raises all sorts once the socket is shut down from another thread.
            if self._stop_event.is_set():
                raise _StoppedError from None
            raise
        finally:
            with self._lock:
                self._response = None
            KubeClient.close_stream(response)
        return received

    def _lines(self, lines: list[bytes]) -> list[Item]:
        batch: list[Item] = []
        decode = self.decoder.decode
        for line in lines:
            if not line.strip():
                continue
            try:
                document = orjson.loads(line)
                change = document["type"]
                obj = document["object"]
            except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                batch.append(
                    Item(DELIVER, None, None, line, ValueError(f"not a watch event: {exc}"))
                )
                continue
            if change == "BOOKMARK":
                rv = _rv_of(obj)
                if rv is not None:
                    self.rv = rv
                    batch.append(Item(SKIP, rv))
                continue
            if change == "ERROR":
                if batch:
                    self._send(batch)
                if _status_code(obj) == 410:
                    raise GoneError
                raise ApiException(
                    status=_status_code(obj), reason=str((obj or {}).get("message", "ERROR"))
                )
            if change not in ("ADDED", "MODIFIED", "DELETED"):
                batch.append(
                    Item(DELIVER, None, None, line, ValueError(f"unknown watch event {change!r}"))
                )
                continue
            item = decode(change, obj, line, emit=True)
            if item.rv is not None:
                self.rv = item.rv
            batch.append(item)
        return batch
