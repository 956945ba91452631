"""Changes, the bounded history of them, and the watchers that receive them."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from cesdk_kubernetes.testing._objects import Obj, to_view
from cesdk_kubernetes.testing._resources import ResourceDef
from cesdk_kubernetes.testing._selectors import Selector

__all__ = ["Change", "History", "Watcher"]


@dataclass(frozen=True, slots=True)
class Change:
    """One write: the object after it (the last state, for ``DELETED``) and before it."""

    rv: int
    type: str
    storage: tuple[str, str]
    obj: Obj
    prev: Obj | None


class History:
    """The last ``size`` changes; a watch or read from before them is ``410 Expired``."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"history must be >= 0, not {size}")
        self.size = size
        self._changes: deque[Change] = deque(maxlen=size)
        self.oldest_valid = 0  # a watch or exact read from this RV or later is served

    def append(self, change: Change) -> None:
        """Keep ``change``; the oldest is forgotten once ``size`` are kept."""
        self._changes.append(change)
        if self.size == 0:
            self.oldest_valid = change.rv
        elif len(self._changes) == self.size:
            self.oldest_valid = max(self.oldest_valid, self._changes[0].rv - 1)

    def compact(self, rv: int) -> None:
        """Forget everything up to ``rv``, the current resourceVersion."""
        self._changes.clear()
        self.oldest_valid = rv

    def since(self, rv: int) -> Iterator[Change]:
        """The kept changes with a resourceVersion above ``rv``, oldest first."""
        if not self._changes:
            return iter(())
        start = max(0, rv + 1 - self._changes[0].rv)
        if start >= len(self._changes):
            return iter(())
        return (self._changes[i] for i in range(start, len(self._changes)))

    def newest_first(self) -> Iterable[Change]:
        """The kept changes, newest first."""
        return reversed(self._changes)


class Watcher:
    """One open watch: the changes not yet written and how to filter and show them.

    The store appends to ``pending`` under its lock and calls ``wake`` when ``pending`` was
    empty; the watch's writer takes the batch with ``Store.take``.
    """

    def __init__(
        self,
        rd: ResourceDef,
        namespace: str | None,
        label: Selector | None,
        field: Selector | None,
        wake: Callable[[], None],
    ) -> None:
        self.rd = rd
        self.namespace = namespace
        self.label = label
        self.field = field
        self.wake = wake
        self.pending: list[Change] = []
        self.closed = False

    def matches(self, view: Obj) -> bool:
        """Whether ``view`` passes this watch's selectors."""
        if self.label is not None and not self.label(view):
            return False
        return self.field is None or self.field(view)

    def render(self, change: Change) -> tuple[str, Obj] | None:
        """The event type and object this watch sends for ``change``, or ``None``.

        With selectors, an object that starts to match is ``ADDED`` and one that stops
        matching is ``DELETED``, as the apiserver's watch cache reports them.
        """
        namespace = (change.obj.get("metadata") or {}).get("namespace")
        if self.namespace is not None and namespace != self.namespace:
            return None
        new = to_view(change.obj, self.rd)
        if self.label is None and self.field is None:
            return change.type, new
        if change.type == "MODIFIED" and change.prev is not None:
            now, before = self.matches(new), self.matches(to_view(change.prev, self.rd))
            if now and before:
                return "MODIFIED", new
            if now:
                return "ADDED", new
            if before:
                return "DELETED", new
            return None
        return (change.type, new) if self.matches(new) else None
