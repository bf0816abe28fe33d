"""benchmarks.tpch.measure_in_turn: engines in worker processes, taking turns run
by run, warm-up runs untimed, a failing or slow engine dropped without stopping
the others."""

from __future__ import annotations

import pytest

from benchmarks.tpch import measure_in_turn, run_isolated

pytestmark = pytest.mark.slow  # each engine starts a Python process

ENGINES = "tests.benchmarks.turn_engines"


def _runs(data_dir) -> list[str]:
    return (data_dir / "runs").read_text().splitlines()


def test_engines_take_turns_and_warm_up_untimed(tmp_path):
    runs = []
    records = measure_in_turn([f"{ENGINES}:First", f"{ENGINES}:Second"], tmp_path, 6,
                              repeat=2, warmup=1, before_run=lambda: runs.append(1))
    assert _runs(tmp_path) == [
        "First q6 run1", "Second q6 run1",  # the warm-up round
        "Second q6 run2", "First q6 run2",  # each round starts from the next engine
        "First q6 run3", "Second q6 run3",
    ]
    assert len(runs) == 6  # one call before each run
    for record in records.values():
        assert len(record["times"]) == 2 and record["best"] == min(record["times"])
        assert record["peak_rss"] >= record["rss_before"] > 0
        assert record["answer"]["run"].tolist() == [1]  # the first run's answer


def test_a_slow_or_failing_engine_leaves_the_others_running(tmp_path):
    names = [f"{ENGINES}:{n}" for n in ("Slow", "Failing", "cannot_start", "First")]
    records = measure_in_turn(names, tmp_path, 1, repeat=3, timeout=5.0)
    slow, failing, cannot_start, first = (records[n] for n in names)
    assert slow["timeout"] == 5.0 and slow["peak_rss"] > 0
    assert failing["error"] == "error: cannot run q1"
    assert cannot_start == {"error": "error: no such engine"}
    assert len(first["times"]) == 3
    assert _runs(tmp_path).count("Slow q1 run2") == 1  # not run again after its timeout
    assert "Slow q1 run3" not in _runs(tmp_path)


def test_a_query_the_engine_lacks_is_skipped(tmp_path):
    assert run_isolated(f"{ENGINES}:First", tmp_path, 3, repeat=1) == {"skipped": "not defined"}


def test_page_cache_warmer_reads_the_data_once_per_window(tmp_path, monkeypatch):
    from benchmarks import tpch

    reads = []
    monkeypatch.setattr(tpch, "warm_page_cache", reads.append)
    clock = [100.0]
    monkeypatch.setattr(tpch.time, "monotonic", lambda: clock[0])
    warm = tpch.page_cache_warmer(tmp_path, fresh_for=10.0)
    warm()
    clock[0] += 9.0
    warm()  # read 9 s ago: still fresh
    clock[0] += 1.0
    warm()  # 10 s: the pages may be going
    assert reads == [tmp_path, tmp_path]
