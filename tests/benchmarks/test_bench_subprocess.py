"""benchmarks._subprocess: a child's answer, peak memory, errors, deaths, timeouts,
and a worker's state kept between calls."""

from __future__ import annotations

from pathlib import Path

from benchmarks._subprocess import Worker, current_rss, run_in_child

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


def test_timeout_kills_the_child():
    assert run_in_child(f"{PROBES}:sleep", {"seconds": 0.2}, timeout=5.0).status == "ok"
    child = run_in_child(f"{PROBES}:sleep", {"seconds": 30}, timeout=1.0)
    assert child.status == "timeout"
    assert child.seconds < 10


def test_worker_keeps_its_state_between_calls():
    with Worker() as worker:
        assert worker.call(f"{PROBES}:remember", {"value": "a"}).status == "ok"
        assert worker.call(f"{PROBES}:remember", {"value": "b"}).status == "ok"
        assert worker.call(f"{PROBES}:recall", {}).value == ["a", "b"]
    with Worker() as fresh:
        assert fresh.call(f"{PROBES}:recall", {}).value == []


def test_worker_timeout_is_per_call():
    # three calls of 0.4 s each pass a 1 s timeout, although together they take longer
    with Worker() as worker:
        for _ in range(3):
            assert worker.call(f"{PROBES}:sleep", {"seconds": 0.4}, timeout=1.0).status == "ok"


def test_worker_goes_on_after_an_error_but_not_after_a_timeout_or_death():
    with Worker() as worker:
        assert worker.call(f"{PROBES}:fail", {}).error == "no good"
        assert worker.call(f"{PROBES}:answer", {"value": 1}).status == "ok"
        timed_out = worker.call(f"{PROBES}:sleep", {"seconds": 30}, timeout=0.5)
        assert timed_out.status == "timeout"
        # the killed worker does not run anything more
        assert worker.call(f"{PROBES}:answer", {"value": 1}) is timed_out
    with Worker() as worker:
        died = worker.call(f"{PROBES}:die", {})
        assert died.error.startswith("killed by SIGKILL")
        assert worker.call(f"{PROBES}:answer", {"value": 1}) is died


def test_worker_peak_rss_grows_with_its_calls():
    with Worker() as worker:
        before = worker.call(f"{PROBES}:allocate", {"megabytes": 1}).peak_rss
        after = worker.call(f"{PROBES}:allocate", {"megabytes": 200}).peak_rss
    assert after - before > 150 * 10**6


def test_current_rss_outside_a_child():
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
