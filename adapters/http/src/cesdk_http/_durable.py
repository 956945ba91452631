"""The durable queue of the accept-then-deliver mode: core's file sink and source.

Accepted events are appended (and fsynced) to a JSON Lines file before the ``202``;
the pipeline reads them back with a checkpoint, so events accepted before a crash are
delivered after the restart. When everything in the file has been delivered, the file
is emptied at the next start, so it does not grow without end.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import cesdk

__all__ = ["DurableQueue"]


class DurableQueue:
    """A JSON Lines file written by ``FileSink`` and read by ``FileSource``.

    Args:
        path: the queue file; its checkpoint is kept next to it (``.checkpoint``).
        fsync: flush every accepted event to disk before answering.
        poll_interval: seconds between looks for new lines.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, fsync: bool = True, poll_interval: float = 0.02
    ) -> None:
        self.path = Path(path)
        self.checkpoint = self.path.with_name(self.path.name + ".checkpoint")
        self._sink = cesdk.FileSink(self.path, fsync=fsync)
        self._source = cesdk.FileSource(
            self.path, checkpoint=self.checkpoint, follow=True, poll_interval=poll_interval
        )

    def _compact(self) -> None:
        # Only here, before anyone reads or writes: every line was delivered, so the
        # file and its checkpoint can start again from zero.
        if not self.checkpoint.exists():
            return
        done = int(self.checkpoint.read_text().strip() or "0")
        if done and done == self.path.stat().st_size:
            os.truncate(self.path, 0)
            self.checkpoint.write_text("0")

    async def open(self) -> None:
        """Create the file if needed and open both ends."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(exist_ok=True)
        self._compact()
        await self._sink.__aenter__()
        await self._source.__aenter__()

    async def close(self) -> None:
        """Close both ends."""
        await self._source.__aexit__(None, None, None)
        await self._sink.__aexit__(None, None, None)

    async def put(self, event: cesdk.CloudEvent) -> None:
        """Append one event; durable once this returns (with ``fsync``)."""
        await self._sink.send(event)

    def deliveries(self) -> AsyncIterator[cesdk.Delivery]:
        """Iterate the accepted events, in order, resuming after the checkpoint."""
        return aiter(self._source)
