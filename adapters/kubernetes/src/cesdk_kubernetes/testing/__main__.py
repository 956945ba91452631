"""Run a fake apiserver in its own process: ``python -m cesdk_kubernetes.testing``.

It prints one JSON line (``url``, ``kubeconfig``, ``token``) once it serves, then runs until
SIGINT or SIGTERM. ``--events N`` stores N core/v1 Events first, for benchmarks.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import threading
from pathlib import Path

from cesdk_kubernetes.testing._server import FakeApiServer


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, serve, and wait for a signal."""
    parser = argparse.ArgumentParser(prog="python -m cesdk_kubernetes.testing", description=__doc__)
    parser.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: free)")
    parser.add_argument("--token", default=None, help="bearer token (default: random)")
    parser.add_argument(
        "--kubeconfig", type=Path, default=None, help="also copy the kubeconfig here"
    )
    parser.add_argument("--events", type=int, default=0, help="core/v1 Events to store first")
    parser.add_argument("--namespace", default="default", help="namespace of those Events")
    parser.add_argument("--history", type=int, default=50_000, help="changes kept for watches")
    parser.add_argument("--bookmark-interval", type=float, default=2.0, help="seconds")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with FakeApiServer(
        port=args.port,
        token=args.token,
        history=args.history,
        bookmark_interval=args.bookmark_interval,
    ) as fake:
        if args.events:
            fake.inject_events(args.events, namespace=args.namespace)
        kubeconfig = fake.kubeconfig_path
        if args.kubeconfig is not None:
            shutil.copyfile(kubeconfig, args.kubeconfig)
            kubeconfig = args.kubeconfig
        ready = {"url": fake.url, "kubeconfig": str(kubeconfig), "token": fake.token}
        print(json.dumps(ready), flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
