"""benchmarks.chart: the data a results file turns into, and the PNG it draws."""

from __future__ import annotations

import json

from benchmarks import chart

DOCUMENT = {
    "when": "2026-11-22T04:29:10+00:00",
    "dataset": {"scale": 10, "parts": 16},
    "machine": {"cpus": 2},
    "repeat": 1,
    "results": {
        "kyudo": {"q1": {"best": 2.0, "matches_duckdb": True},
                  "q6": {"best": 1.0, "matches_duckdb": False},
                  "q10": {"timeout": 600}},
        "duckdb": {"q1": {"best": 0.5}, "q6": {"best": 0.25}, "q10": {"best": 1.0}},
        "dask": {"q1": {"best": 4.0}, "q6": {"error": "error: boom"}, "q10": {"skipped": "x"}},
    },
}


def test_chart_data():
    data = chart.chart_data(DOCUMENT)
    assert data["queries"] == ["q1", "q6", "q10"]  # numeric order, not text order
    assert data["engines"] == ["kyudo", "duckdb", "dask"]
    assert data["seconds"]["kyudo"] == [2.0, 1.0, None]
    assert data["marks"]["kyudo"] == ["", "wrong", "T"]
    assert data["marks"]["dask"] == ["", "E", "-"]
    # totals over the queries all engines answered: q1 only
    assert data["totals"] == {"kyudo": 2.0, "duckdb": 0.5, "dask": 4.0}
    assert data["title"].startswith("TPC-H scale 10, best of 1, 2 CPUs (2026-11-22 04:29")


def test_main_draws_a_png(tmp_path):
    results = tmp_path / "tpch.json"
    results.write_text(json.dumps(DOCUMENT))
    chart.main([str(results)])
    assert (tmp_path / "tpch.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
