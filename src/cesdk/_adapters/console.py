"""A sink that pretty-prints events to a terminal (coloured when it is one)."""

from __future__ import annotations

import sys
from typing import TextIO

import orjson

from cesdk._adapters._lifecycle import NothingToOpen
from cesdk._event import CloudEvent
from cesdk._types import canonical_string

__all__ = ["ConsoleSink", "render"]

_BOLD, _DIM, _CYAN, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[0m"


def render(event: CloudEvent, *, color: bool = False) -> str:
    """Return a readable multi-line rendering of an event, like Knative's event-display."""
    bold, dim, cyan, reset = (_BOLD, _DIM, _CYAN, _RESET) if color else ("", "", "", "")
    lines = [f"{bold}☁  {event.type}{reset}"]
    for name, value in event.attributes.items():
        if name not in ("type", "specversion"):
            shown = canonical_string(value)
            lines.append(f"  {dim}{name:>16}{reset}  {shown}")
    if event.has_data:
        data = event.data
        if isinstance(data, bytes):
            text = f"<{len(data)} bytes>"
        elif isinstance(data, str):
            text = data
        else:
            text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
        lines.append(
            f"  {dim}{'data':>16}{reset}  {cyan}" + text.replace("\n", "\n" + " " * 20) + reset
        )
    return "\n".join(lines)


class ConsoleSink(NothingToOpen):
    """Print each event to ``stream`` (standard output by default).

    Args:
        stream: where to write.
        color: colour the output; by default only when ``stream`` is a terminal.
    """

    def __init__(self, stream: TextIO | None = None, *, color: bool | None = None) -> None:
        self.stream = stream
        self.color = color

    async def send(self, event: CloudEvent) -> None:
        """Print the event."""
        stream = self.stream or sys.stdout
        color = self.color if self.color is not None else stream.isatty()
        stream.write(render(event, color=color) + "\n")
        stream.flush()
