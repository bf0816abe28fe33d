"""The tables printed by benchmarks.memory, scan and planning: pure formatting."""

from __future__ import annotations

from benchmarks import memory, planning, scan


def test_memory_rows_against_the_target():
    rows = [
        {"query": 1, "engine": "kyudo", "memory_limit": None, "best": 3.0,
         "rss_before": 200 * 10**6, "peak_rss": 900 * 10**6},
        {"query": 1, "engine": "kyudo", "memory_limit": "1GB", "best": 4.0,
         "rss_before": 200 * 10**6, "peak_rss": 1600 * 10**6},
        {"query": 6, "engine": "kyudo", "memory_limit": "1GB", "error": "error: unknown option"},
    ]
    lines = memory.format_rows(rows, memory.parse_target("1.5GB")).splitlines()
    assert lines[0].split()[-3:] == ["<=", "1500", "MB"]
    assert lines[2].split() == ["q1", "kyudo", "none", "3.0000", "200", "900", "yes"]
    assert lines[3].split()[-2:] == ["1600", "NO"]
    assert lines[-1] == "q6 kyudo: error: unknown option"


def test_scan_ratio_and_row_check():
    row = {"case": "q6",
           "pyarrow": {"seconds": 1.0, "rows": 10, "bytes": 100 * 10**6, "mb_per_s": 100.0},
           "kyudo args": {"seconds": 2.0, "rows": 10, "bytes": 100 * 10**6, "mb_per_s": 50.0},
           "kyudo mask": {"seconds": 0.5, "rows": 9, "bytes": 90 * 10**6, "mb_per_s": 180.0}}
    assert scan.ratio(row, "kyudo args") == 0.5
    line = scan.format_rows([row]).splitlines()[2]
    assert "ROWS DIFFER" in line
    assert line.split()[-2:] == ["0.50", "2.00"]
    row["kyudo mask"] = {"error": "boom"}
    assert scan.ratio(row, "kyudo mask") is None
    assert scan.format_rows([row]).splitlines()[-1] == "q6 kyudo mask: boom"


def test_planning_worst_row_flags_the_target():
    results = {"kyudo": {1: {"ms": [60.0, 10.0], "first": 60.0, "median": 35.0, "max": 60.0},
                         2: {"error": "error: cannot plan"}}}
    lines = planning.format_results(results, [1, 2]).splitlines()
    assert lines[2].split() == ["q1", "60.0", "35.0", "60.0"]
    assert lines[3].split()[0] == "q2" and "cannot" in lines[3]
    assert lines[4].split() == ["worst", "60.0", "OVER", "35.0", "60.0", "OVER"]
    assert lines[-1] == "kyudo: error: cannot plan"
