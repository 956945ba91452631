"""A progress line on standard error: redrawn in place on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Show how far a long command has got.

    On a terminal the line is redrawn at most ten times a second; when standard error
    is a file or a pipe (CI logs), a plain line is written at most once a second, so
    logs stay short. ``done`` always writes the final line.

    Args:
        stream: where to write; standard error by default.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._interval = 0.1 if self.tty else 1.0
        self._next = 0.0

    def update(self, text: str, *, force: bool = False) -> None:
        """Show ``text`` unless the last line is too recent (``force`` shows it anyway)."""
        now = time.monotonic()
        if not force and now < self._next:
            return
        self._next = now + self._interval
        if self.tty:
            self.stream.write("\r\x1b[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self, text: str) -> None:
        """Write the final line and end it."""
        if self.tty:
            self.stream.write("\r\x1b[K" + text + "\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
