"""What the two Kubernetes sources share: threads, settlement, checkpoints, leader election.

Each watched path has a ``ListWatchThread`` and a ``_Stream`` on the loop side. Items
come in batches; the loop side turns them into deliveries in arrival order and records
each in the stream's ``Progress``: a queue of (resourceVersion, settled) entries.
Deliveries settle out of order; the stream's committed position only moves over the
longest settled prefix, and that position is what the checkpoint stores. Bookmarks and
skipped changes are entries settled from the start, so they advance the position when
nothing before them is in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections import deque
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Any, Self

from kubernetes.client import ApiClient

from cesdk import Delivery, RawMessage
from cesdk_kubernetes._checkpoint import Checkpoint, ConfigMapCheckpoint, checkpoint_from
from cesdk_kubernetes._client import KubeClient
from cesdk_kubernetes._leader import LeaderElection, LeaderElectionConfig
from cesdk_kubernetes._listwatch import SKIP, Decoder, Item, ListWatchThread, StreamSpec

__all__ = ["WatchSource"]

log = logging.getLogger("cesdk_kubernetes")


class Progress:
    """The settled prefix of one stream: ``committed`` is the checkpointable resourceVersion."""

    __slots__ = ("_pending", "committed")

    def __init__(self, committed: str | None) -> None:
        self.committed = committed
        self._pending: deque[list[Any]] = deque()

    def add(self, rv: str | None, *, settled: bool) -> list[Any] | None:
        """Record an item; return its entry (``[rv, settled]``) unless it settled at once."""
        if settled and not self._pending:
            if rv is not None:
                self.committed = rv
            return None
        entry = [rv, settled]
        self._pending.append(entry)
        return entry

    def settle(self, entry: list[Any]) -> bool:
        """Mark ``entry`` settled; return True if ``committed`` moved."""
        entry[1] = True
        pending = self._pending
        moved = False
        while pending and pending[0][1]:
            rv = pending.popleft()[0]
            if rv is not None:
                self.committed = rv
                moved = True
        return moved

    @property
    def in_flight(self) -> int:
        """Entries not settled yet (and the settled ones queued behind them)."""
        return len(self._pending)


class _Stream:
    """The loop side of one watched path."""

    def __init__(self, spec: StreamSpec, committed: str | None, max_batches: int) -> None:
        self.spec = spec
        self.progress = Progress(committed)
        self.active = True
        self.capacity = threading.Semaphore(max_batches)
        self.thread: ListWatchThread | None = None


class WatchSource:
    """Base of ``KubernetesEventSource`` and ``KubernetesResourceSource`` (not public)."""

    def __init__(
        self,
        *,
        kubeconfig: str | os.PathLike[str] | None,
        context: str | None,
        in_cluster: bool | None,
        api_client: ApiClient | None,
        namespaces: str | Sequence[str] | None,
        label_selector: str | None,
        field_selector: str | None,
        cluster_name: str,
        checkpoint: Any,
        checkpoint_key: str,
        checkpoint_interval: float,
        leader_election: Any,
        emit_existing: bool,
        page_size: int,
        watch_timeout: int,
        max_buffered_batches: int,
    ) -> None:
        if isinstance(namespaces, str):
            namespaces = [part.strip() for part in namespaces.split(",") if part.strip()]
        self.namespaces: list[str] | None = list(namespaces) if namespaces else None
        self.label_selector = label_selector or None
        self.field_selector = field_selector or None
        self.cluster_name = cluster_name
        if not cluster_name or "/" in cluster_name:
            raise ValueError(
                f"cluster_name must be a non-empty name without '/', got {cluster_name!r}"
            )
        if page_size < 1 or watch_timeout < 1 or checkpoint_interval <= 0:
            raise ValueError("page_size, watch_timeout and checkpoint_interval must be positive")
        self.checkpoint: Checkpoint | None = checkpoint_from(checkpoint, key=checkpoint_key)
        self.checkpoint_interval = checkpoint_interval
        self.leader_election = (
            LeaderElectionConfig.parse(leader_election) if leader_election else None
        )
        self.emit_existing = emit_existing
        self.page_size = page_size
        self.watch_timeout = watch_timeout
        self.max_buffered_batches = max_buffered_batches
        self._client_options: dict[str, Any] = {
            "kubeconfig": kubeconfig,
            "context": context,
            "in_cluster": in_cluster,
            "api_client": api_client,
        }
        self.client: KubeClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._streams: list[_Stream] = []
        self._batches: deque[tuple[_Stream, list[Item]]] = deque()
        self._current: tuple[_Stream, list[Item]] | None = None
        self._index = 0
        self._retries: deque[Delivery] = deque()
        self._wake = asyncio.Event()
        self._dirty = False
        self._closing = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._election: LeaderElection | None = None
        self._saving = asyncio.Lock()

    # -- what subclasses provide --------------------------------------------------------

    async def _specs(self, client: KubeClient) -> list[StreamSpec]:
        raise NotImplementedError

    def _decoder(self, spec: StreamSpec) -> Decoder:
        raise NotImplementedError

    # -- state for tests and operators --------------------------------------------------

    @property
    def positions(self) -> dict[str, str]:
        """The committed resourceVersion of each stream (what the checkpoint stores)."""
        return {s.spec.key: s.progress.committed for s in self._streams if s.progress.committed}

    @property
    def leading(self) -> bool:
        """True while this source watches (always, without leader election)."""
        return bool(self._streams) and (self._election is None or self._election.leading)

    @property
    def threads(self) -> list[ListWatchThread]:
        """The running list/watch threads, one per watched path."""
        return [s.thread for s in self._streams if s.thread is not None]

    # -- lifetime ---------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._loop = asyncio.get_running_loop()
        self._closing = False
        self._wake = asyncio.Event()
        self._saving = asyncio.Lock()
        self.client = await KubeClient.open(**self._client_options)
        try:
            if isinstance(self.checkpoint, ConfigMapCheckpoint):
                self.checkpoint.bind(self.client)
            specs = await self._specs(self.client)
            if self.leader_election is not None:
                self._election = LeaderElection(self.client, self.leader_election)
                self._spawn(self._lead(specs))
            else:
                await self._start(specs)
            self._spawn(self._flush_every())
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _close(self) -> None:
        self._closing = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._stop_streams()
        with contextlib.suppress(Exception):
            await self._save()
        if self._election is not None:
            await self._election.release()
            self._election = None
        self._streams = []
        if self.checkpoint is not None:
            with contextlib.suppress(Exception):
                await self.checkpoint.close()
        if self.client is not None:
            self.client.close()
            self.client = None
        self._wake.set()

    async def _start(self, specs: list[StreamSpec]) -> None:
        assert self.client is not None
        positions = await self.checkpoint.load() if self.checkpoint is not None else {}
        streams = [_Stream(s, positions.get(s.key), self.max_buffered_batches) for s in specs]
        self._streams = streams
        for stream in streams:
            if stream.progress.committed:
                log.info(
                    "%s: resuming from resourceVersion %s",
                    stream.spec.path,
                    stream.progress.committed,
                )
            thread = ListWatchThread(
                self.client,
                stream.spec,
                self._decoder(stream.spec),
                self._pusher(stream),
                start_rv=stream.progress.committed,
                emit_existing=self.emit_existing,
                page_size=self.page_size,
                watch_timeout=self.watch_timeout,
            )
            stream.thread = thread
            thread.start()

    async def _stop_streams(self) -> None:
        streams = self._streams
        for stream in streams:
            stream.active = False
            if stream.thread is not None:
                stream.thread.stop()
        # Queued, never yielded: the next leader (or run) reads them again.
        self._batches.clear()
        self._current = None
        self._retries.clear()
        for stream in streams:
            if stream.thread is not None and stream.thread.is_alive():
                await asyncio.to_thread(stream.thread.join, 2.0)

    async def _lead(self, specs: list[StreamSpec]) -> None:
        election = self._election
        assert election is not None
        while True:
            await election.acquire()
            failed = False
            try:
                await self._start(specs)
                await election.hold()
            except Exception:
                # Reading the checkpoint failed, say: give the Lease up and try again.
                log.exception("%s: could not start watching as the leader", election.identity)
                failed = True
            finally:
                if not self._closing:
                    # Lost the Lease: stop watching; what is in flight still settles,
                    # but only the new leader writes the checkpoint from now on.
                    await self._stop_streams()
                    self._streams = []
            if failed:
                await election.release()
                await asyncio.sleep(election.config.retry_period)

    # -- from the threads ---------------------------------------------------------------

    def _pusher(self, stream: _Stream) -> Any:
        loop = self._loop
        assert loop is not None
        capacity = stream.capacity

        def push(batch: list[Item]) -> bool:
            thread = stream.thread
            while not capacity.acquire(timeout=0.1):
                if not stream.active or (thread is not None and thread.stopping):
                    return False
            if not stream.active:
                return False
            try:
                loop.call_soon_threadsafe(self._arrived, stream, batch)
            except RuntimeError:  # the loop is closed
                return False
            return True

        return push

    def _arrived(self, stream: _Stream, batch: list[Item]) -> None:
        if not stream.active:
            return
        if self._current is None and not self._batches:
            # Nothing queued ahead: progress at the head counts now, even if nobody reads.
            start = 0
            while start < len(batch) and batch[start].kind == SKIP:
                if stream.progress.add(batch[start].rv, settled=True) is None:
                    self._dirty = True
                start += 1
            if start == len(batch):
                stream.capacity.release()
                return
            batch = batch[start:]
        self._batches.append((stream, batch))
        self._wake.set()

    # -- iteration --------------------------------------------------------------------

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Delivery:
        while True:
            if self._retries:
                return self._retries.popleft()
            delivery = self._next_from_batches()
            if delivery is not None:
                return delivery
            if self._closing:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()

    async def batches(self) -> AsyncIterator[list[Delivery]]:
        """Yield every delivery ready now as one list (the pipeline's batch path).

        Settlement and checkpoints are the same as when iterating one by one.
        """
        while True:
            ready: list[Delivery] = []
            while self._retries:
                ready.append(self._retries.popleft())
            while (delivery := self._next_from_batches()) is not None:
                ready.append(delivery)
            if ready:
                yield ready
                continue
            if self._closing:
                return
            self._wake.clear()
            await self._wake.wait()

    def _next_from_batches(self) -> Delivery | None:
        while True:
            if self._current is None:
                if not self._batches:
                    return None
                self._current = self._batches.popleft()
                self._index = 0
            stream, batch = self._current
            if not stream.active:
                self._current = None
                continue
            progress = stream.progress
            while self._index < len(batch):
                item = batch[self._index]
                self._index += 1
                if item.kind == SKIP:
                    if progress.add(item.rv, settled=True) is None and item.rv is not None:
                        self._dirty = True
                    continue
                entry = progress.add(item.rv, settled=False)
                assert entry is not None
                # Progress right behind it (bookmarks, skipped changes) is recorded now,
                # so that it counts as soon as this delivery settles.
                while self._index < len(batch) and batch[self._index].kind == SKIP:
                    progress.add(batch[self._index].rv, settled=True)
                    self._index += 1
                if self._index == len(batch):
                    self._current = None
                    stream.capacity.release()
                return self._delivery(stream, entry, item)
            self._current = None
            stream.capacity.release()

    def _delivery(self, stream: _Stream, entry: list[Any], item: Item) -> Delivery:
        metadata = {"path": stream.spec.path, **(item.meta or {})}
        raw = RawMessage(body=item.raw, metadata=metadata)
        event = item.event
        key = event.subject if event is not None else None

        async def ack() -> None:
            if stream.progress.settle(entry):
                self._dirty = True

        async def nack(delay: float | None) -> None:
            if self._closing or not stream.active:
                return  # not settled: the checkpoint stays before it, a restart reads it again
            again = Delivery(event, raw, item.error, on_ack=ack, on_nack=nack, key=key)
            if delay:
                assert self._loop is not None
                self._loop.call_later(delay, self._requeue, stream, again)
            else:
                self._requeue(stream, again)

        return Delivery(event, raw, item.error, on_ack=ack, on_nack=nack, key=key)

    def _requeue(self, stream: _Stream, delivery: Delivery) -> None:
        if stream.active and not self._closing:
            self._retries.append(delivery)
            self._wake.set()

    # -- checkpoint ---------------------------------------------------------------------

    async def _flush_every(self) -> None:
        while True:
            await asyncio.sleep(self.checkpoint_interval)
            try:
                await self._save()
            except Exception:
                log.exception("could not save the checkpoint %r", self.checkpoint)

    async def _save(self) -> None:
        """Save the committed positions if they moved (and only while leading)."""
        if self.checkpoint is None or not self._dirty or not self._streams:
            return
        if self._election is not None and not self._election.leading:
            return
        async with self._saving:
            self._dirty = False
            positions = self.positions
            try:
                await self.checkpoint.save(positions)
            except BaseException:
                self._dirty = True
                raise

    async def flush(self) -> None:
        """Save the checkpoint now (it is saved every ``checkpoint_interval`` and on close)."""
        await self._save()
