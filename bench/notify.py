"""Notification sink benchmarks, one section per sink: ``python bench/notify.py [SECTION...]``.

Sections (all of them when none is named; ``make bench`` runs them all):

slack
    500 events spread evenly over 50 channels, through a ``cesdk.Pipeline`` with
    ``SlackSink`` into ``cesdk_slack.testing.SlackFake``, which answers ``429`` to any
    channel that gets more than one message per second. Each channel needs 10 messages
    one second apart, so the floor is 9 s of wall time when channels are paced
    independently (a sink pacing all channels as one would need about 500 s). Targets:
    at most 1.5x the floor, and no ``429`` at all.

smtp
    1,000 mails to aiosmtpd (``cesdk_smtp.testing.SmtpServer``, in its own process) through
    a ``cesdk.Pipeline`` with ``SmtpSink`` (default templates, pooled connections), against
    a bare aiosmtplib loop that builds each ``EmailMessage`` by hand and sends it on one
    reused connection. Each runs ``--smtp-trials`` times (3), alternating; the best of each
    counts. Target: the sink at least 70% of the loop's mails/s.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and bench/http.py would shadow the
# standard library's http module that aiohttp imports.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

import argparse  # after the sys.path fix above
import asyncio
import time
from collections.abc import Callable

import cesdk

Section = Callable[[argparse.Namespace], bool]
SECTIONS: dict[str, Section] = {}


def section(name: str) -> Callable[[Section], Section]:
    """Register a benchmark section; it returns whether its targets were met."""

    def register(function: Section) -> Section:
        SECTIONS[name] = function
        return function

    return register


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


# -- slack ------------------------------------------------------------------------------

SLACK_RATIO_TARGET = 1.5


async def _slack(events: int, channels: int) -> bool:
    from cesdk_slack import SlackSink
    from cesdk_slack.testing import SlackFake

    names = [f"bench-{n:02d}" for n in range(channels)]
    batch = [
        cesdk.CloudEvent(
            type="io.k8s.event.warning",
            source="/k8s/bench",
            id=f"evt-{n}",
            subject=f"pod/web-{n}",
            data={
                "type": "Warning",
                "reason": "BackOff",
                "message": f"Back-off restarting failed container (event {n})",
                "count": n,
                "involvedObject": {"kind": "Pod", "name": f"web-{n}", "namespace": "bench"},
            },
            extensions={"slackchannel": names[n % channels]},  # evenly, round robin
        )
        for n in range(events)
    ]
    async with SlackFake(channels=names) as slack:
        sink = SlackSink(
            token=slack.token, api_url=slack.api_url, channel_template="{{ slackchannel }}"
        )
        dead = cesdk.MemorySink()
        # A send waiting for its channel's turn holds a pipeline slot: give every channel
        # room for a waiting event or two.
        pipeline = cesdk.Pipeline(
            cesdk.MemorySource(batch),
            routes=[cesdk.Route(sink)],
            dead_letter=dead,
            concurrency=2 * channels,
        )
        started = time.perf_counter()
        await pipeline.run(handle_signals=False)
        wall = time.perf_counter() - started
        per_channel = -(-events // channels)
        floor = (per_channel - 1) / sink.rate
        ratio = wall / floor if floor else float("inf")
        busiest = max(slack.max_rate_seen(name) for name in names)
        delivered = len(slack.messages())
    ratio_ok = ratio <= SLACK_RATIO_TARGET
    no_429 = slack.ratelimited == 0
    complete = delivered == events and not dead.events
    print(f"slack: {events} events over {channels} channels, {sink.rate:g} message/s/channel")
    print(
        f"  delivered      {delivered} messages ({len(dead.events)} dead letters)  "
        f"{_verdict(complete)}"
    )
    print(f"  wall time      {wall:.2f} s")
    print(
        f"  floor          {floor:.2f} s ({per_channel} messages per channel, "
        f"{1 / sink.rate:g} s apart)"
    )
    print(f"  ratio          {ratio:.2f}x  target <= {SLACK_RATIO_TARGET}x  {_verdict(ratio_ok)}")
    print(f"  429s           {slack.ratelimited}      target 0        {_verdict(no_429)}")
    print(f"  busiest        {busiest} message(s) per second in any channel")
    return ratio_ok and no_429 and complete


@section("slack")
def bench_slack(args: argparse.Namespace) -> bool:
    """Slack: pacing per channel against the fake's 429s."""
    return asyncio.run(_slack(args.slack_events, args.slack_channels))


# -- smtp -------------------------------------------------------------------------------

SMTP_RATIO_TARGET = 0.70

_SMTP_SERVER = """
import sys
from cesdk_smtp.testing import SmtpServer
with SmtpServer() as server:
    print(server.port, flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
"""


def _smtp_events(n: int, run: str) -> list[cesdk.CloudEvent]:
    return [
        cesdk.CloudEvent(
            type="io.k8s.event.warning",
            source="/k8s/bench",
            id=f"{run}-{i}",
            subject=f"pod/web-{i % 50}",
            data={
                "type": "Warning",
                "reason": "BackOff",
                "message": f"Back-off restarting failed container web (event {i})",
                "count": i,
                "involvedObject": {"kind": "Pod", "name": f"web-{i % 50}", "namespace": "bench"},
            },
        )
        for i in range(n)
    ]


async def _smtp_raw(port: int, events: list[cesdk.CloudEvent]) -> float:
    """A hand-written loop: one aiosmtplib connection, one EmailMessage per event."""
    from email.message import EmailMessage

    import aiosmtplib

    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
    started = time.perf_counter()
    await client.connect()
    for event in events:
        data = event.data
        assert isinstance(data, dict)
        obj = data["involvedObject"]
        msg = EmailMessage()
        msg["From"] = "Alerts <alerts@example.com>"
        msg["To"] = "oncall@example.com"
        msg["Subject"] = f"[Warning] {data['reason']}: {obj['kind']}/{obj['name']}"
        msg["Message-ID"] = f"<{event.id}@example.com>"
        msg.set_content(f"{data['reason']} on {obj['kind']}/{obj['name']}\n\n{data['message']}\n")
        msg.add_alternative(f"<h2>{data['reason']}</h2><p>{data['message']}</p>", subtype="html")
        await client.send_message(msg)
    await client.quit()
    return time.perf_counter() - started


async def _smtp_cesdk(port: int, events: list[cesdk.CloudEvent], pool_size: int = 2) -> float:
    """SmtpSink (default templates, pooled connections) behind a cesdk.Pipeline."""
    from cesdk_smtp import SmtpSink

    sink = SmtpSink(
        "127.0.0.1",
        port,
        tls="none",
        from_addr="Alerts <alerts@example.com>",
        to=["oncall@example.com"],
        pool_size=pool_size,
    )
    dead = cesdk.MemorySink()
    pipeline = cesdk.Pipeline(
        cesdk.MemorySource(events), routes=[cesdk.Route(sink)], dead_letter=dead
    )
    started = time.perf_counter()
    await pipeline.run(handle_signals=False)
    wall = time.perf_counter() - started
    delivered = pipeline.metrics.total("delivered")
    if delivered != len(events) or dead.events:
        raise RuntimeError(f"smtp: {delivered} of {len(events)} mails delivered")
    return wall


@section("smtp")
def bench_smtp(args: argparse.Namespace) -> bool:
    """SMTP: SmtpSink through a pipeline against a bare aiosmtplib loop, same server."""
    import subprocess

    n, trials = args.smtp_mails, args.smtp_trials
    # The server runs in its own process, so its work does not share the client's GIL.
    server = subprocess.Popen(
        [sys.executable, "-c", _SMTP_SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        asyncio.run(_smtp_raw(port, _smtp_events(50, "warm")))  # imports, first connection
        raw: list[float] = []
        ours: list[float] = []
        single: list[float] = []
        for trial in range(trials):  # alternating; the best of each counts
            raw.append(asyncio.run(_smtp_raw(port, _smtp_events(n, f"raw{trial}"))))
            ours.append(asyncio.run(_smtp_cesdk(port, _smtp_events(n, f"cesdk{trial}"))))
            single.append(
                asyncio.run(_smtp_cesdk(port, _smtp_events(n, f"single{trial}"), pool_size=1))
            )
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=30)
    raw_rate, our_rate, single_rate = n / min(raw), n / min(ours), n / min(single)
    ratio = our_rate / raw_rate
    ok = ratio >= SMTP_RATIO_TARGET
    print(f"smtp: {n} mails to aiosmtpd on loopback, best of {trials}")
    print(f"  aiosmtplib loop   {raw_rate:8.0f} mails/s  (one reused connection)")
    print(f"  cesdk pipeline    {our_rate:8.0f} mails/s  (SmtpSink, default templates, pool of 2)")
    print(f"  ratio             {ratio:8.2f}  target >= {SMTP_RATIO_TARGET}  {_verdict(ok)}")
    print(
        f"  pool_size=1       {single_rate:8.0f} mails/s  (one connection, like the loop: "
        f"{single_rate / raw_rate:.2f}x)"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sections", nargs="*", metavar="SECTION", help="slack, smtp...")
    parser.add_argument("--slack-events", type=int, default=500)
    parser.add_argument("--slack-channels", type=int, default=50)
    parser.add_argument("--smtp-mails", type=int, default=1000)
    parser.add_argument("--smtp-trials", type=int, default=3)
    args = parser.parse_args(argv)
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    results = {name: SECTIONS[name](args) for name in args.sections or list(SECTIONS)}
    print("notify: " + ", ".join(f"{name} {_verdict(ok)}" for name, ok in results.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
