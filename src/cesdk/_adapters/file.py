"""JSON Lines files: a sink that appends one structured event per line, and a source
that reads them back with a checkpoint, so a restarted pipeline resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType

from cesdk._errors import CESDKError
from cesdk._event import CloudEvent
from cesdk._pipeline._contracts import Delivery, RawMessage
from cesdk.formats import json as json_format

__all__ = ["FileSink", "FileSource"]


class FileSink:
    """Append each event as one line of ``application/cloudevents+json`` (JSON Lines).

    The default dead letter sink. Each line is written with one ``write`` on a file
    opened for appending, so concurrent writers never interleave lines.

    Args:
        path: the file; created (with its folder) when missing.
        fsync: flush each line to disk before ``send`` returns (survives power loss,
            slower).
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self._fd: int | None = None

    async def __aenter__(self) -> FileSink:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    async def send(self, event: CloudEvent) -> None:
        """Append the event as one line."""
        if self._fd is None:
            await self.__aenter__()
        assert self._fd is not None
        os.write(self._fd, json_format.encode(event) + b"\n")
        if self.fsync:
            os.fsync(self._fd)


class FileSource:
    """Read a JSON Lines file of structured events; lines that do not decode become
    undecodable deliveries carrying the line's bytes.

    With ``checkpoint``, the byte offset up to which every line has been acked is saved
    (atomically) after each ack, and a restart resumes there: lines acked before a
    crash are not delivered again, lines not yet acked are.

    Args:
        path: the file to read.
        checkpoint: where to keep the resume offset; no resuming when omitted.
        follow: keep reading as the file grows (like ``tail -f``) until stopped.
        poll_interval: seconds between looks for new lines when following.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        checkpoint: str | os.PathLike[str] | None = None,
        follow: bool = False,
        poll_interval: float = 0.2,
    ) -> None:
        self.path = Path(path)
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.follow = follow
        self.poll_interval = poll_interval
        self._pending: dict[int, int] = {}  # line start -> line end, not yet acked
        self._done: set[int] = set()
        self._committed = 0
        self._retry: deque[tuple[int, int, bytes]] = deque()
        self._changed = asyncio.Event()

    async def __aenter__(self) -> FileSource:
        self._committed = self._load_checkpoint()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def _load_checkpoint(self) -> int:
        if self.checkpoint is None or not self.checkpoint.exists():
            return 0
        text = self.checkpoint.read_text().strip()
        try:
            return int(text)
        except ValueError:
            raise CESDKError(
                f"checkpoint {self.checkpoint} holds {text[:40]!r}, not a byte offset; "
                "delete it to read the file from the start"
            ) from None

    def _save_checkpoint(self) -> None:
        if self.checkpoint is None:
            return
        tmp = self.checkpoint.with_name(self.checkpoint.name + ".tmp")
        tmp.write_text(str(self._committed))
        os.replace(tmp, self.checkpoint)

    def _settle(self, start: int) -> None:
        self._done.add(start)
        # Advance over the contiguous run of acked lines.
        advanced = False
        while self._committed in self._done:
            self._done.discard(self._committed)
            self._committed = self._pending.pop(self._committed)
            advanced = True
        if advanced:
            self._save_checkpoint()
        self._changed.set()

    def _delivery(self, start: int, end: int, line: bytes) -> Delivery:
        # "\n" or "\r\n" ends a line (files written on Windows); every other byte is kept.
        body = line[:-2] if line.endswith(b"\r\n") else line[:-1] if line.endswith(b"\n") else line
        raw = RawMessage(body, metadata={"path": str(self.path), "offset": start})
        event: CloudEvent | None = None
        error: Exception | None = None
        try:
            event = json_format.decode(body)
        except CESDKError as exc:
            error = exc

        async def ack() -> None:
            self._settle(start)

        async def nack(delay: float | None) -> None:
            if delay:
                await asyncio.sleep(min(delay, 5.0))
            self._retry.append((start, end, line))
            self._changed.set()

        return Delivery(event, raw, error, on_ack=ack, on_nack=nack)

    async def __aiter__(self) -> AsyncIterator[Delivery]:
        with open(self.path, "rb") as handle:  # local file, short reads
            handle.seek(self._committed)
            offset = self._committed
            eof = False
            while True:
                if self._retry:
                    yield self._delivery(*self._retry.popleft())
                    continue
                if not eof:
                    line = handle.readline()
                    if line.endswith(b"\n") or (line and not self.follow):
                        start, offset = offset, offset + len(line)
                        self._pending[start] = offset
                        if not line.strip():
                            self._settle(start)
                            continue
                        yield self._delivery(start, offset, line)
                        continue
                    if line:  # a partial last line while following: wait for the rest
                        handle.seek(offset)
                    eof = not self.follow
                if eof and not self._pending:
                    return
                self._changed.clear()
                if self.follow:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), self.poll_interval)
                    eof = False
                else:
                    await self._changed.wait()
