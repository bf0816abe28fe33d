"""Functions the subprocess tests run in a child process (imported there by name,
as ``tests.benchmarks.child_probes:<name>``)."""

from __future__ import annotations

import os
import signal
import time

from benchmarks._subprocess import current_rss

_remembered = []


def answer(value):
    return {"value": value, "rss": current_rss()}


def allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 10**6)
    block[::4096] = b"x" * len(block[::4096])  # touch every page so it is resident
    return len(block)


def fail():
    raise ValueError("no good\nsecond line")


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def remember(value) -> None:
    """Keep ``value`` in this process, for a later call of :func:`recall`."""
    _remembered.append(value)


def recall() -> list:
    return _remembered


def write_pid_and_sleep(path: str) -> None:
    with open(path + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace(path + ".tmp", path)
    time.sleep(60)
