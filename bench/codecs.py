"""Codec benchmark: cesdk against the official ``cloudevents`` 2.x SDK, in one process.

Run with ``make bench`` (or ``python bench/codecs.py``). Every row does the same work on
the same events in both libraries, with cesdk's full validation on, and prints
operations per second and the ratio cesdk / official.

A second table compares cesdk's event formats on the same events: JSON, Avro and
Protobuf encode and decode rates and encoded sizes (the official SDK has no Avro or
Protobuf format; there is no ratio target). ``--formats`` prints only that table.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from typing import Any

from cloudevents.core.bindings import http as sdk_http
from cloudevents.core.bindings import kafka as sdk_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent

import cesdk
from cesdk.bindings import http, kafka
from cesdk.formats import avro, protobuf
from cesdk.formats import json as ce_json

SMALL_DATA = {"reason": "BackOff", "count": 3}
MEDIUM_DATA = {
    "items": [
        {
            "name": f"pod-{i}",
            "namespace": "prod",
            "restarts": i,
            "ready": i % 2 == 0,
            "message": "Back-off restarting failed container",
        }
        for i in range(8)
    ],
    "cluster": "eu-west-1",
}
MEDIUM_EXT = {
    "partitionkey": "web-1",
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "severity": "warning",
}

Row = tuple[str, Callable[[], Any], Callable[[], Any]]


def _ops(fn: Callable[[], Any], seconds: float) -> float:
    """Return calls per second of ``fn``, best of three timed runs."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed > seconds / 10:
            break
        n *= 2
    best = 0.0
    for _ in range(3):
        gc.collect()
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = max(best, n / (time.perf_counter() - start))
    return best


def rows(size: str) -> list[Row]:
    data = SMALL_DATA if size == "small" else MEDIUM_DATA
    ext = {} if size == "small" else MEDIUM_EXT
    fmt = JSONFormat()

    def make_ce() -> cesdk.CloudEvent:
        return cesdk.CloudEvent(
            type="io.k8s.event.warning",
            source="/k8s/prod",
            subject="pod/web-1",
            data=data,
            extensions=ext,
        )

    def make_sdk() -> SdkEvent:
        return SdkEvent(
            {"type": "io.k8s.event.warning", "source": "/k8s/prod", "subject": "pod/web-1", **ext},
            data,
        )

    ce_ev, sdk_ev = make_ce(), make_sdk()
    ce_json_b, sdk_json_b = ce_json.encode(ce_ev), fmt.write(sdk_ev)
    ce_hb, sdk_hb = http.to_binary(ce_ev), sdk_http.to_binary(sdk_ev, fmt)
    ce_kb, sdk_kb = kafka.to_binary(ce_ev), sdk_kafka.to_binary(sdk_ev, fmt)
    ce_batch = [make_ce() for _ in range(100)]
    sdk_batch = [make_sdk() for _ in range(100)]
    ce_batch_b = ce_json.encode_batch(ce_batch)
    sdk_batch_b = b"[" + b",".join(fmt.write(e) for e in sdk_batch) + b"]"

    def sdk_batch_decode() -> list[Any]:
        # The official SDK has no batch reader in cloudevents.core: split the array
        # with the stdlib and read each item, as a user would have to.
        import json

        return [fmt.read(None, json.dumps(item)) for item in json.loads(sdk_batch_b)]

    return [
        ("create", make_ce, make_sdk),
        ("json encode", lambda: ce_json.encode(ce_ev), lambda: fmt.write(sdk_ev)),
        ("json decode", lambda: ce_json.decode(ce_json_b), lambda: fmt.read(None, sdk_json_b)),
        (
            "http binary encode",
            lambda: http.to_binary(ce_ev),
            lambda: sdk_http.to_binary(sdk_ev, fmt),
        ),
        (
            "http binary decode",
            lambda: http.from_http(ce_hb.headers, ce_hb.body),
            lambda: sdk_http.from_http(sdk_hb, fmt),
        ),
        (
            "kafka binary encode",
            lambda: kafka.to_binary(ce_ev),
            lambda: sdk_kafka.to_binary(sdk_ev, fmt),
        ),
        (
            "kafka binary decode",
            lambda: kafka.from_kafka(ce_kb),
            lambda: sdk_kafka.from_binary(sdk_kb, fmt),
        ),
        (
            "batch(100) encode",
            lambda: ce_json.encode_batch(ce_batch),
            lambda: b"[" + b",".join(fmt.write(e) for e in sdk_batch) + b"]",
        ),
        ("batch(100) decode", lambda: ce_json.decode_batch(ce_batch_b), sdk_batch_decode),
    ]


def format_rows(size: str) -> list[tuple[str, int, Callable[[], Any], Callable[[], Any]]]:
    """(format, encoded bytes, encode, decode) for one event of the given size."""
    data = SMALL_DATA if size == "small" else MEDIUM_DATA
    ext = {} if size == "small" else MEDIUM_EXT
    event = cesdk.CloudEvent(
        type="io.k8s.event.warning",
        source="/k8s/prod",
        subject="pod/web-1",
        data=data,
        extensions=ext,
    )
    out = []
    for name, fmt in (("json", ce_json), ("avro", avro), ("protobuf", protobuf)):
        raw = fmt.encode(event)
        out.append(
            (
                name,
                len(raw),
                lambda fmt=fmt: fmt.encode(event),
                lambda fmt=fmt, raw=raw: fmt.decode(raw),
            )
        )
    return out


def print_formats(seconds: float) -> None:
    print(f"\n{'format row':32} {'encode ops/s':>13} {'decode ops/s':>13} {'bytes':>7}")
    for size in ("small", "medium"):
        for name, size_bytes, encode, decode in format_rows(size):
            enc, dec = _ops(encode, seconds), _ops(decode, seconds)
            print(f"{size + ' ' + name:32} {enc:13,.0f} {dec:13,.0f} {size_bytes:7d}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="time budget per cell")
    parser.add_argument("--target", type=float, default=3.0, help="ratio to meet")
    parser.add_argument("--formats", action="store_true", help="only the formats table")
    args = parser.parse_args()
    if args.formats:
        print_formats(args.seconds)
        return 0
    print(f"{'row':32} {'cesdk ops/s':>13} {'official ops/s':>15} {'ratio':>7}")
    short = []
    for size in ("small", "medium"):
        for name, ours, theirs in rows(size):
            a, b = _ops(ours, args.seconds), _ops(theirs, args.seconds)
            label = f"{size} {name}"
            flag = "" if a / b >= args.target else "  < target"
            if flag:
                short.append(label)
            print(f"{label:32} {a:13,.0f} {b:15,.0f} {a / b:6.2f}x{flag}")
    print(
        f"target {args.target:.1f}x: "
        + ("met on every row" if not short else f"short on {', '.join(short)}")
    )
    print_formats(args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
