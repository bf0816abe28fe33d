"""Run one measurement in a fresh Python process: its peak RSS, a timeout, a crash.

Why a process per measurement:

* **peak memory** -- the peak resident set of a process that ran one query is
  that query's peak (plus the interpreter and libraries, which the measuring code
  can report separately with :func:`current_rss`); inside one long-lived process
  the peak of the biggest query hides all the others;
* **timeouts** -- DuckDB, Polars and kyudo's kernels run in C/C++/Rust code that a
  Python signal cannot interrupt; killing the process always works;
* **out of memory** -- when the kernel's OOM killer (or a ``MemoryError``) ends a
  query, only that query's process dies and the benchmark goes on.

The parent runs ``python -m benchmarks._subprocess REQUEST RESPONSE FD``: the child
imports ``module:function``, calls it with the pickled keyword arguments and
pickles what it returns (or the error) into RESPONSE. The child calls
:func:`heartbeat` when a timed run starts: the timeout applies to each run (and to
the set-up before the first one), not to all repeats together.

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
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Set in the child: the write end of the heartbeat pipe.
_HEARTBEAT_FD: int | None = None
_POLL_SECONDS = 0.05


@dataclass
class ChildResult:
    """What became of one child: ``status`` is ``"ok"`` (``value`` holds what the
    function returned), ``"error"`` (``error`` says why), or ``"timeout"``."""

    status: str
    value: Any = None
    error: str | None = None
    peak_rss: int | None = None  # bytes, the child's ru_maxrss
    seconds: float = 0.0  # wall time of the whole child, start-up included


def heartbeat() -> None:
    """Tell the parent a timed run starts now (restarting its timeout); a no-op
    when not running in a child, so measuring code can call it unconditionally."""
    if _HEARTBEAT_FD is not None:
        os.write(_HEARTBEAT_FD, b".")


def current_rss() -> int:
    """Resident set size of this process now, in bytes (Linux ``/proc``)."""
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def run_in_child(target: str, kwargs: dict, timeout: float | None = None) -> ChildResult:
    """Call ``target`` (``"package.module:function"``) with ``kwargs`` in a fresh
    interpreter; ``timeout`` seconds per heartbeat interval, ``None`` for no limit.

    The child's stdout is discarded; the last line of its stderr explains a crash.
    """
    with tempfile.TemporaryDirectory(prefix="kyudo-bench-") as tmp:
        request, response, stderr_path = (Path(tmp) / n for n in ("request", "response", "stderr"))
        request.write_bytes(pickle.dumps((target, kwargs)))
        read_fd, write_fd = os.pipe()
        start = time.monotonic()
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "benchmarks._subprocess", str(request), str(response),
                 str(write_fd)],
                pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=stderr,
                start_new_session=True,  # its own process group: a kill takes its workers too
                cwd=Path(__file__).resolve().parents[1],
            )
        os.close(write_fd)
        try:
            status, usage, timed_out = _wait(proc, read_fd, timeout)
        except BaseException:  # Ctrl-C or a crash here: the child must not outlive us
            os.killpg(proc.pid, signal.SIGKILL)
            os.waitpid(proc.pid, 0)
            proc.returncode = -signal.SIGKILL
            raise
        finally:
            os.close(read_fd)
        seconds = time.monotonic() - start
        # Upper bound for a child that died before reporting its own peak (see
        # the module docstring): wait4's figure includes this process's size.
        peak = usage.ru_maxrss * 1024  # Linux reports KiB
        if timed_out:
            return ChildResult("timeout", error=f"timeout after {timeout:g} s", peak_rss=peak,
                               seconds=seconds)
        if response.exists():
            outcome = pickle.loads(response.read_bytes())
            if "error" in outcome:
                return ChildResult("error", error=outcome["error"], peak_rss=outcome["peak_rss"],
                                   seconds=seconds)
            return ChildResult("ok", value=outcome["value"], peak_rss=outcome["peak_rss"],
                               seconds=seconds)
        return ChildResult("error", error=_death(status, stderr_path), peak_rss=peak,
                           seconds=seconds)


def _wait(proc: subprocess.Popen, read_fd: int, timeout: float | None):
    """Reap ``proc`` with ``wait4``, killing its process group when a heartbeat
    interval passes ``timeout``. Returns (wait status, rusage, timed out)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    pipe_open = True
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if pipe_open:
            ready, _, _ = select.select([read_fd], [], [], _POLL_SECONDS)
            if ready:
                if os.read(read_fd, 4096):
                    deadline = None if timeout is None else time.monotonic() + timeout
                else:
                    pipe_open = False  # the child closed it: it is exiting
        else:
            time.sleep(_POLL_SECONDS)
        if deadline is not None and time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status, usage, True
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return status, usage, False


def _death(status: int, stderr_path: Path) -> str:
    """Why a child ended without writing its answer."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        hint = " (out of memory?)" if sig == signal.SIGKILL else ""
        return f"killed by {signal.Signals(sig).name}{hint}"
    lines = stderr_path.read_text(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"exited with status {os.waitstatus_to_exitcode(status)}"


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


def _child_main(request: str, response: str, fd: str) -> None:
    _die_with_parent()
    # This file runs as __main__; the measured code imports it under its real
    # name, and that module is the one whose heartbeat() must find the pipe.
    importlib.import_module("benchmarks._subprocess")._HEARTBEAT_FD = int(fd)
    target, kwargs = pickle.loads(Path(request).read_bytes())
    module, _, name = target.partition(":")
    try:
        value = getattr(importlib.import_module(module), name)(**kwargs)
        data = pickle.dumps({"value": value, "peak_rss": own_peak_rss()})
    except BaseException as exc:  # reported to the parent, which decides what it means
        traceback.print_exc()
        first = (str(exc).strip().splitlines() or [""])[0]
        data = pickle.dumps({"error": first or type(exc).__name__, "peak_rss": own_peak_rss()})
    Path(response).write_bytes(data)


if __name__ == "__main__":
    _child_main(*sys.argv[1:4])
