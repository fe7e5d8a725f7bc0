"""Peak memory of a process, as the benchmark reports it."""
from __future__ import annotations


def peak_rss_mb(pid: int | str = "self") -> float:
    """A process's peak resident memory in MiB (VmHWM). Not getrusage's ru_maxrss: Linux carries
    that over from the parent across fork and exec, so a child of the benchmark would report the
    benchmark's own peak."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
