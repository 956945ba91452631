"""The main job, end to end on loopback: ``make quickstart``.

Starts a webhook receiver (``cesdk listen``), runs ``cesdk run examples/quickstart.yaml``
(an HTTP source, a filter, in-memory dedup, a webhook sink and a console sink, a dead
letter file), sends it six events with ``cesdk send`` (two warnings, a normal event
the filter drops, a duplicate) and one invalid request, stops everything, and shows
what was delivered, deduplicated and dead-lettered. Exits 1 if any of that differs
from what the pipeline promises. Every process gets a deadline; nothing outside
127.0.0.1 is touched.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cesdk.testing import free_port

HERE = Path(__file__).parent
CESDK = [sys.executable, "-m", "cesdk"]
DEADLINE = 30.0  # seconds any one step may take
SOURCE = "/k8s/prod/namespaces/shop"

# (what it shows, cesdk send options); the ids are fixed so that the duplicate is one.
SENDS = [
    ("a warning", ["--id", "w-1", "--subject", "pod/web-1", "--data", '{"reason": "BackOff"}']),
    ("another warning",
     ["--id", "w-2", "--subject", "pod/web-2", "--data", '{"reason": "OOMKilled"}']),
    ("a normal event", ["--id", "n-1", "--subject", "pod/web-1", "--data", '{"reason": "Pulled"}']),
    ("the first warning again",
     ["--id", "w-1", "--subject", "pod/web-1", "--data", '{"reason": "BackOff"}']),
]  # fmt: skip


def section(title: str) -> None:
    print(f"\n{title}\n{'-' * len(title)}")


def masked(text: str) -> str:
    """Hide what differs on every run: event times."""
    return re.sub(r"(^\s+time  ).*$", r"\1(when it was sent)", text, flags=re.MULTILINE)


def start_receiver() -> tuple[subprocess.Popen[str], str]:
    receiver = subprocess.Popen(
        [*CESDK, "listen", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert receiver.stderr is not None
    announced = receiver.stderr.readline()  # printed once the port is bound
    if "listening on " not in announced:
        raise RuntimeError(f"cesdk listen did not start: {announced}")
    return receiver, announced.split("listening on ", 1)[1].split(" ", 1)[0]


def wait_ready(port: int, run: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if run.poll() is not None:
            raise RuntimeError("cesdk run exited before it was ready")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.05)  # polling a starting process: there is nothing to wait on
    raise TimeoutError("cesdk run did not become ready")


def send(url: str, kind: str, options: list[str]) -> str:
    done = subprocess.run(
        [*CESDK, "send", url, "--type", f"io.k8s.event.{kind}", "--source", SOURCE, *options],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    # "cesdk send: w-1 -> http://127.0.0.1:PORT/: 204 No Content"
    return done.stderr.strip().rsplit(": ", 1)[-1] if done.returncode == 0 else done.stderr


def send_invalid(port: int) -> tuple[int, dict[str, object]]:
    """POST a binary-mode event whose ``time`` is not a timestamp (cesdk send refuses to)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
    headers = {
        "ce-specversion": "1.0", "ce-id": "bad-1", "ce-source": SOURCE,
        "ce-type": "io.k8s.event.warning", "ce-time": "yesterday",
        "content-type": "application/json",
    }  # fmt: skip
    connection.request("POST", "/", body=b'{"reason": "BackOff"}', headers=headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=DEADLINE)
    return out, err


def main() -> int:
    print("cesdk quickstart: HTTP in, filter, dedup, webhook and console out, dead letters")
    workdir = Path(tempfile.mkdtemp(prefix="cesdk-quickstart-"))
    dead_letters = workdir / "deadletter.jsonl"
    receiver, receiver_url = start_receiver()
    port = free_port()
    env = {
        **os.environ,
        "QUICKSTART_PORT": str(port),
        "RECEIVER_URL": receiver_url,
        "DEAD_LETTER_FILE": str(dead_letters),
    }
    run = subprocess.Popen(
        [*CESDK, "run", str(HERE / "quickstart.yaml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        wait_ready(port, run)
        section("Sent with `cesdk send` (each answered once the pipeline settled it)")
        url = f"http://127.0.0.1:{port}/"
        answers = []
        for what, options in SENDS:
            kind = "normal" if "normal" in what else "warning"
            answer = send(url, kind, options)
            answers.append(answer)
            print(f"  {options[1]:<5} {what:<24} -> {answer}")
        status, problem = send_invalid(port)
        print(f"  {'bad-1':<5} {'an invalid event':<24} -> {status} {problem['title']}")
        attribute = str(problem["attribute"])
        errors = problem["errors"]
        assert isinstance(errors, dict)
        print(f"        problem body: attribute {attribute!r}: {errors[attribute]}")
    finally:
        console, run_log = stop(run)
        received, _ = stop(receiver)

    section("The webhook receiver got (cesdk listen)")
    print(masked(received).rstrip())
    section("The console sink printed")
    print(masked(console).rstrip())
    section("Counters (cesdk run's summary at exit)")
    summary = next((line for line in run_log.splitlines() if "stopped after" in line), run_log)
    counters = dict(item.split("=") for item in summary.split(": ")[-1].split())
    for name, value in counters.items():
        print(f"  {name:<13} {value}")
    section("The dead letter file (deadletter.jsonl)")
    letters = [json.loads(line) for line in dead_letters.read_text().splitlines()]
    for letter in letters:
        print(f"  type    {letter['type']}")
        print(f"  reason  {letter['deadletterreason']}")
        body = base64.b64decode(letter.get("data_base64", "")).decode()
        print(f"  data    {body} (the request body, kept as it came)")

    expected = {
        "answers": answers == ["204 No Content"] * 4 and status == 400,
        "webhook": received.count("☁  io.k8s.event.warning") == 2 and "w-2" in received,
        "console": console.count("☁  io.k8s.event.warning") == 2,
        "deduplicated": counters.get("deduplicated") == "2",
        "dead letter": len(letters) == 1 and "time" in letters[0]["deadletterreason"],
    }
    section("Checks")
    for name, ok in expected.items():
        print(f"  {name:<13} {'ok' if ok else 'FAILED'}")
    return 0 if all(expected.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
