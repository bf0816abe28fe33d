"""The SF10 benchmark scripts, run end to end on the scale-0.1 data (one query or
case each, one repeat: these check the scripts work, they measure nothing)."""

from __future__ import annotations

import json

import pytest

from benchmarks import memory, planning, scan, tpch

pytestmark = pytest.mark.slow


def test_tpch_isolated_records_peak_rss_and_checks_answers(tpch_dir):
    results = tpch.run_benchmark(tpch_dir, [6], ["kyudo", "duckdb"], 1, timeout=120)
    record = results["kyudo"][6]
    assert record["matches_duckdb"] is True
    assert record["peak_rss"] > record["rss_before"] > 0
    assert "peak RSS MB" in tpch.format_memory_table(results, [6])


def test_tpch_timeout_is_a_cell(tpch_dir):
    results = tpch.run_benchmark(tpch_dir, [1], ["kyudo"], 1, timeout=0.001)
    assert results["kyudo"][1]["timeout"] == 0.001
    assert "timeout" in tpch.format_table(results, [1])


def test_memory_passes_the_limit_through(tpch_dir, tmp_path, capsys):
    output = tmp_path / "memory.json"
    memory.main(["--data", str(tpch_dir), "--queries", "6", "--engines", "kyudo",
                 "--memory-limit", "1GB", "--output", str(output)])
    rows = json.loads(output.read_text())["rows"]
    assert [r["memory_limit"] for r in rows] == [None, "1GB"]
    assert rows[0]["matches_duckdb"] is True and rows[0]["peak_rss"] > 0
    # until kyudo has the option, the run under a limit reports why it could not run
    assert "best" in rows[1] or "memory_limit" in rows[1]["error"]
    assert "q6" in capsys.readouterr().out


def test_scan_forms_agree(tpch_dir):
    rows = scan.measure(tpch_dir / "lineitem", [scan.CASES["q6"]], repeat=1)
    counts = {rows[0][form]["rows"] for form in scan.FORMS}
    assert len(counts) == 1 and counts.pop() > 0
    assert "ROWS DIFFER" not in scan.format_rows(rows)


def test_planning_does_not_execute(tpch_dir):
    results = planning.measure(tpch_dir, [6, 18], ["kyudo", "kyudo-sql"], repeat=2)
    for engine in ("kyudo", "kyudo-sql"):
        for q in (6, 18):
            assert len(results[engine][q]["ms"]) == 2, results[engine][q]
    assert "worst" in planning.format_results(results, [6, 18])
