import contextlib
import io
import signal
import subprocess
import sys
from pathlib import Path

from cesdk._cli import main

here = Path(__file__).parent

# `cesdk listen --port 0` picks a free port and names it on standard error.
listener = subprocess.Popen(
    [sys.executable, "-m", "cesdk", "listen", "--port", "0"],
    stdout=subprocess.PIPE,
    stderr=subprocess.PIPE,
    text=True,
)
try:
    announced = listener.stderr.readline()  # blocks until the server is listening
    assert "listening on " in announced, announced + listener.stderr.read()
    url = announced.split("listening on ", 1)[1].split(" ", 1)[0]
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        status = main(
            ["send", url, "--type", "io.example.ping", "--source", "/demo", "--id", "1",
             "--data", '{"n": 1}', "--extension", "team=ops"]
        )  # fmt: skip
    assert status == 0, errors.getvalue()
    assert "204 No Content" in errors.getvalue()
finally:
    listener.send_signal(signal.SIGTERM)
    printed, _ = listener.communicate(timeout=30)

assert listener.returncode == 0
# What the docs show, except the time, which differs on every run.
shown = (here / "cli_listen_output.txt").read_text().splitlines()
got = printed.splitlines()
assert len(got) == len(shown)
for want, line in zip(shown, got, strict=True):
    if not want.strip().startswith("time "):
        assert line == want, (line, want)
