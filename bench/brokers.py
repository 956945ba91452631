"""Broker benchmarks, both in one run: NATS JetStream, then Kafka.

Each runs cesdk (source -> pipeline -> sink) against the raw client loop in separate
processes, best of 3; see ``brokers_nats.py`` and ``brokers_kafka.py`` for what each
contender does. Run with ``make bench`` or ``uv run python bench/brokers.py [-n N]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="events (default 20,000)")
    parser.add_argument("--trials", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args()
    failed = False
    for script in ("brokers_nats.py", "brokers_kafka.py"):
        command = [sys.executable, str(HERE / script), "-n", str(args.n)]
        done = subprocess.run([*command, "--trials", str(args.trials)], check=False)
        failed = failed or done.returncode != 0
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
