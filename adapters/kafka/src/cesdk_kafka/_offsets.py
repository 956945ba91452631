"""Which offset of a partition may be committed, when work finishes out of order.

Kafka commits one position per partition: "every record before this one is done".
Records are handed out in offset order but settle in any order, so the position may
only advance over a contiguous run of settled records. A record that is nacked stays
unsettled (it waits to be delivered again) and holds the position back.
"""

from __future__ import annotations

from collections import deque

__all__ = ["PartitionOffsets"]


class PartitionOffsets:
    """Track the records of one partition from fetch to settlement.

    Offsets are tracked in the order they were fetched, not by arithmetic, because a
    partition's offsets may have gaps (compaction, transaction markers).

    Example:
        >>> offsets = PartitionOffsets()
        >>> for n in (5, 6, 7):
        ...     offsets.track(n)
        >>> offsets.settle(6)
        >>> offsets.committable() is None  # 5 is still in flight
        True
        >>> offsets.settle(5)
        >>> offsets.committable()  # 5 and 6 are done: resume at 7
        7
    """

    __slots__ = ("_done", "_order", "committed", "in_flight", "position")

    def __init__(self) -> None:
        self._order: deque[int] = deque()  # fetched, not yet behind the position
        self._done: set[int] = set()
        self.in_flight = 0  # handed out and neither settled nor waiting to be redelivered
        self.position: int | None = None  # the next offset to read after a restart
        self.committed: int | None = None  # the position last committed

    def track(self, offset: int) -> None:
        """Record that ``offset`` was fetched and handed out."""
        if self._order and offset <= self._order[-1]:
            raise ValueError(f"offset {offset} fetched after {self._order[-1]}")
        self._order.append(offset)
        self.in_flight += 1

    def settle(self, offset: int) -> None:
        """Record that ``offset`` is done; advance the position over the contiguous run."""
        self.in_flight -= 1
        self._done.add(offset)
        order, done = self._order, self._done
        while order and order[0] in done:
            first = order.popleft()
            done.discard(first)
            self.position = first + 1

    def requeue(self) -> None:
        """Record that a handed-out record waits to be delivered again (a nack)."""
        self.in_flight -= 1

    def redeliver(self) -> None:
        """Record that a waiting record was handed out again."""
        self.in_flight += 1

    @property
    def pending(self) -> int:
        """Records fetched and not yet behind the position (in flight, waiting or done)."""
        return len(self._order)

    def committable(self) -> int | None:
        """Return the position to commit, or ``None`` when there is nothing new."""
        if self.position is None or self.position == self.committed:
            return None
        return self.position
