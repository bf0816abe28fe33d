"""benchmarks._report and the tables of benchmarks.tpch: pure formatting."""

from __future__ import annotations

import json

from benchmarks import tpch
from benchmarks._report import megabytes, payload, render_table, write_json


def test_render_table_plain_and_markdown():
    assert render_table(["q", "secs"], [["q1", "0.5"]]).splitlines() == [
        " q  secs", "--  ----", "q1   0.5"]
    assert render_table(["q", "secs"], [["q1", "0.5"]], markdown=True).splitlines()[1] == (
        "| -: | ---: |")


def test_megabytes():
    assert megabytes(None) == "-"
    assert megabytes(1_500_000_000) == "1500"


def test_payload_and_write_json(tmp_path):
    (tmp_path / "tpch.json").write_text('{"scale": 10}')
    document = payload("x", tmp_path, [], figures=[1])
    assert document["dataset"] == {"scale": 10} and document["figures"] == [1]
    write_json(tmp_path / "out" / "x.json", document)
    assert json.loads((tmp_path / "out" / "x.json").read_text())["benchmark"] == "x"


RESULTS = {
    "kyudo": {1: {"best": 2.0, "peak_rss": 900_000_000}, 6: {"timeout": 60.0, "peak_rss": 10**9}},
    "duckdb": {1: {"best": 1.0, "peak_rss": 300_000_000}, 6: {"best": 0.5}},
}


def test_timeout_cell_and_total_leave_it_out():
    table = tpch.format_table(RESULTS, [1, 6])
    q6 = next(line for line in table.splitlines() if line.strip().startswith("q6"))
    assert "timeout" in q6
    total = next(line for line in table.splitlines() if line.strip().startswith("total"))
    assert total.split() == ["total", "2.0000", "1.0000", "2.00"]


def test_memory_table():
    lines = tpch.format_memory_table(RESULTS, [1, 6]).splitlines()
    assert lines[0].split() == ["peak", "RSS", "MB", "kyudo", "duckdb"]
    assert lines[2].split() == ["q1", "900", "300"]
    assert lines[3].split() == ["q6", "1000", "-"]
