"""benchmarks._subprocess: a child's answer, peak memory, errors, deaths, timeouts."""

from __future__ import annotations

from pathlib import Path

from benchmarks._subprocess import current_rss, heartbeat, run_in_child

PROBES = "tests.benchmarks.child_probes"


def test_answer_and_peak_rss():
    child = run_in_child(f"{PROBES}:answer", {"value": [1, 2]})
    assert child.status == "ok"
    assert child.value["value"] == [1, 2]
    assert child.peak_rss >= child.value["rss"] > 0


def test_peak_rss_is_the_childs_own():
    small = run_in_child(f"{PROBES}:allocate", {"megabytes": 1})
    big = run_in_child(f"{PROBES}:allocate", {"megabytes": 200})
    assert big.peak_rss - small.peak_rss > 150 * 10**6
    # a bare interpreter, not the size of the (bigger) process that started it
    assert small.peak_rss < 60 * 10**6


def test_error_is_its_first_line():
    child = run_in_child(f"{PROBES}:fail", {})
    assert (child.status, child.error) == ("error", "no good")


def test_killed_child_is_an_error_not_a_crash():
    child = run_in_child(f"{PROBES}:die", {})
    assert child.status == "error"
    assert child.error.startswith("killed by SIGKILL")


def test_timeout_is_per_run():
    # three runs of 0.4 s each pass a 1 s timeout, although together they take longer
    assert run_in_child(f"{PROBES}:runs", {"seconds": [0.4, 0.4, 0.4]}, timeout=1.0).status == "ok"
    child = run_in_child(f"{PROBES}:runs", {"seconds": [0.1, 30]}, timeout=1.0)
    assert child.status == "timeout"
    assert child.seconds < 10


def test_heartbeat_outside_a_child_does_nothing():
    heartbeat()
    assert current_rss() > 0


def test_child_dies_with_its_parent(tmp_path):
    # a parent that starts a long child, then is killed: the child must go too
    import os
    import signal
    import subprocess
    import sys
    import time

    pid_file = tmp_path / "child.pid"
    script = ("from benchmarks._subprocess import run_in_child\n"
              f"run_in_child('{PROBES}:write_pid_and_sleep', {{'path': {str(pid_file)!r}}})\n")
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=root)
    deadline = time.monotonic() + 20
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pid_file.read_text())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the child outlived its parent")
