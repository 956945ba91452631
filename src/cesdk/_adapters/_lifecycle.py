"""The async context manager of adapters that have nothing to open or close."""

from __future__ import annotations

from types import TracebackType
from typing import Self

__all__ = ["NothingToOpen"]


class NothingToOpen:
    """``async with`` support for an adapter without connections or files to manage."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None
