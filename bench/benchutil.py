"""Measurements shared by the benchmarks that run each contender in a child process."""

from __future__ import annotations

import resource

__all__ = ["cpu_seconds", "peak_rss_mb"]


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB.

    ``VmHWM``, not ``ru_maxrss``: Linux keeps ``ru_maxrss`` across exec, so a child
    started by a bigger parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User plus system CPU time this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
