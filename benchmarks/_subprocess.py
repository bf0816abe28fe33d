"""Run measurements in a separate Python process: its peak RSS, a timeout, a crash.

Why a process of its own:

* **peak memory** -- the peak resident set of a process that ran one query is
  that query's peak (plus the interpreter and libraries, which the measuring code
  can report separately with :func:`current_rss`); inside one long-lived process
  the peak of the biggest query hides all the others;
* **timeouts** -- DuckDB, Polars and kyudo's kernels run in C/C++/Rust code that a
  Python signal cannot interrupt; killing the process always works;
* **out of memory** -- when the kernel's OOM killer (or a ``MemoryError``) ends a
  query, only that query's process dies and the benchmark goes on.

A :class:`Worker` is one such process, kept for several calls: the parent sends
``(module:function, keyword arguments)`` down a pipe, the child calls it and sends
back what it returned (or the error), pickled, with its peak RSS so far. Module
globals survive between calls, which lets a benchmark set an engine up once and
time it several times, taking turns with other engines' workers. The timeout
applies to each call. :func:`run_in_child` is the one-call case.

The peak is the child's own ``VmHWM`` (its ``ru_maxrss`` since ``exec``), or its
waited-for children's ``ru_maxrss`` if larger (kyudo's process executor). The
``ru_maxrss`` that ``os.wait4`` returns to the parent is not used when the child
reports: Linux starts a spawned child's ``ru_maxrss`` at the *parent's* resident
size (the memory map it had before ``exec``), so it would never read below the
benchmark driver's own size. Only for a child killed before it could report (a
timeout, the OOM killer) is ``wait4``'s figure kept, as an upper bound.
"""

from __future__ import annotations

import importlib
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_HEADER = struct.Struct("<Q")  # the byte length of the pickle that follows
_CLOSE_SECONDS = 10  # how long a worker told to stop may take before it is killed


@dataclass
class ChildResult:
    """What became of one call: ``status`` is ``"ok"`` (``value`` holds what the
    function returned), ``"error"`` (``error`` says why), or ``"timeout"``."""

    status: str
    value: Any = None
    error: str | None = None
    peak_rss: int | None = None  # bytes, the child's ru_maxrss so far
    seconds: float = 0.0  # wall time of the call (of the whole child, for run_in_child)


def current_rss() -> int:
    """Resident set size of this process now, in bytes (Linux ``/proc``)."""
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def run_in_child(target: str, kwargs: dict, timeout: float | None = None) -> ChildResult:
    """Call ``target`` (``"package.module:function"``) with ``kwargs`` in a fresh
    interpreter, killed after ``timeout`` seconds (``None``: no limit)."""
    start = time.monotonic()
    with Worker() as worker:
        result = worker.call(target, kwargs, timeout)
    result.seconds = time.monotonic() - start
    return result


class Worker:
    """A Python process that runs the calls it is sent, one at a time.

    The child's stdout is discarded; the last line of its stderr explains a crash.
    Once a call times out or the child dies, the worker is finished: later calls
    return the same result without running. Use it as a context manager (or call
    :meth:`close`) so that the child never outlives its use.
    """

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="kyudo-bench-")
        self._stderr_path = Path(self._tmp.name) / "stderr"
        request_read, self._requests = os.pipe()
        self._responses, response_write = os.pipe()
        with open(self._stderr_path, "wb") as stderr:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "benchmarks._subprocess", str(request_read),
                 str(response_write)],
                pass_fds=(request_read, response_write), stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,  # its own process group: a kill takes its workers too
                cwd=Path(__file__).resolve().parents[1],
            )
        os.close(request_read)
        os.close(response_write)
        self._ended: ChildResult | None = None  # why the worker stopped, once it has
        self._peak_rss: int | None = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def peak_rss(self) -> int | None:
        """The child's peak resident size as of its last answer, bytes."""
        return self._peak_rss

    def call(self, target: str, kwargs: dict, timeout: float | None = None) -> ChildResult:
        """Run ``target(**kwargs)`` in the child; ``timeout`` seconds, or no limit."""
        if self._ended is not None:
            return self._ended
        start = time.monotonic()
        try:
            _write_message(self._requests, (target, kwargs))
            outcome = self._read_response(None if timeout is None else start + timeout)
        except BrokenPipeError:
            outcome = None
        except BaseException:  # Ctrl-C or a crash here: the child must not outlive us
            self._kill()
            raise
        seconds = time.monotonic() - start
        if outcome == "timeout":
            usage = self._kill()
            self._ended = ChildResult("timeout", error=f"timeout after {timeout:g} s",
                                      peak_rss=self._upper_bound(usage), seconds=seconds)
            return self._ended
        if outcome is None:  # the child died before it answered
            status, usage = self._reap(block=True)
            self._ended = ChildResult("error", error=self._death(status),
                                      peak_rss=self._upper_bound(usage), seconds=seconds)
            return self._ended
        self._peak_rss = outcome["peak_rss"]
        if "error" in outcome:
            return ChildResult("error", error=outcome["error"], peak_rss=self._peak_rss,
                               seconds=seconds)
        return ChildResult("ok", value=outcome["value"], peak_rss=self._peak_rss,
                           seconds=seconds)

    def close(self) -> None:
        """Tell the child to stop (it exits when its request pipe closes) and reap it,
        killing it if it does not stop in time."""
        if self._requests is not None:
            os.close(self._requests)
            self._requests = None
            deadline = time.monotonic() + _CLOSE_SECONDS
            while self._reap(block=False) is None and time.monotonic() < deadline:
                time.sleep(0.01)
            if self._proc.returncode is None:
                self._kill()
            os.close(self._responses)
            self._tmp.cleanup()

    def _read_response(self, deadline: float | None):
        """The child's answer; ``None`` if its pipe closed first (it died),
        ``"timeout"`` if ``deadline`` passed."""
        try:
            return _read_message(self._responses, deadline)
        except TimeoutError:
            return "timeout"

    def _kill(self):
        """Kill the child's process group and reap it; its ``rusage``."""
        if self._proc.returncode is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return self._reap(block=True)[1]
        return None

    def _reap(self, block: bool):
        """``(wait status, rusage)`` once the child has exited, else ``None``."""
        if self._proc.returncode is not None:
            return self._status, self._usage
        pid, status, usage = os.wait4(self._proc.pid, 0 if block else os.WNOHANG)
        if not pid:
            return None
        self._proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        self._status, self._usage = status, usage
        return status, usage

    def _upper_bound(self, usage) -> int | None:
        """For a child that could not report its peak: ``wait4``'s figure (see the
        module docstring), or what it last reported if that is larger."""
        waited = None if usage is None else usage.ru_maxrss * 1024  # Linux reports KiB
        known = [p for p in (waited, self._peak_rss) if p is not None]
        return max(known) if known else None

    def _death(self, status: int) -> str:
        """Why a child ended without answering."""
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            hint = " (out of memory?)" if sig == signal.SIGKILL else ""
            return f"killed by {signal.Signals(sig).name}{hint}"
        lines = self._stderr_path.read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"exited with status {os.waitstatus_to_exitcode(status)}"


def _write_message(fd: int, message) -> None:
    data = pickle.dumps(message)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read_message(fd: int, deadline: float | None = None):
    """The next pickled message on ``fd``; ``None`` when the other end closed it.
    Raises ``TimeoutError`` once ``deadline`` (``time.monotonic()``) passes."""
    header = _read_exactly(fd, _HEADER.size, deadline)
    if header is None:
        return None
    body = _read_exactly(fd, _HEADER.unpack(header)[0], deadline)
    return None if body is None else pickle.loads(body)


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes | None:
    buffer = bytearray()
    while len(buffer) < size:
        if deadline is not None:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError
        chunk = os.read(fd, size - len(buffer))
        if not chunk:
            return None
        buffer += chunk
    return bytes(buffer)


def own_peak_rss() -> int:
    """Peak resident size of this process since it started (``VmHWM``), or of any
    child process it waited for, whichever is larger; bytes."""
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(hwm, children) * 1024  # both in KiB


def _die_with_parent() -> None:
    """Have Linux kill this process when its parent dies: in its own session, a
    child does not get the terminal's Ctrl-C, and one orphaned at scale 10 could
    run for many minutes more."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the parent's own clean-up still kills it on Ctrl-C
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _serve(requests: int, responses: int) -> None:
    """The child's loop: run each request until the parent closes the pipe."""
    _die_with_parent()
    while (request := _read_message(requests)) is not None:
        target, kwargs = request
        module, _, name = target.partition(":")
        try:
            value = getattr(importlib.import_module(module), name)(**kwargs)
            outcome = {"value": value}
        except BaseException as exc:  # reported to the parent, which decides what it means
            traceback.print_exc()
            first = (str(exc).strip().splitlines() or [""])[0]
            outcome = {"error": first or type(exc).__name__}
        _write_message(responses, {**outcome, "peak_rss": own_peak_rss()})


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
