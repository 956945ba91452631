"""The progress line: redrawn in place on a terminal, plain lines otherwise."""

from __future__ import annotations

import io
import socket

import pytest

from cesdk._cli import main
from cesdk._cli_progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_redraws_one_line() -> None:
    stream = Terminal()
    progress = Progress(stream)
    progress.update("sent 1/3")
    progress.update("sent 2/3", force=True)
    progress.done("sent 3 events")
    assert stream.getvalue() == "\r\x1b[Ksent 1/3\r\x1b[Ksent 2/3\r\x1b[Ksent 3 events\n"


def test_pipe_gets_plain_lines_at_most_once_a_second() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    progress.update("sent 1/3")
    progress.update("sent 2/3")  # within the second: not written
    progress.done("sent 3 events")
    assert stream.getvalue() == "sent 1/3\nsent 3 events\n"


def test_listen_on_a_busy_port_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["listen", "--port", str(port)]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
