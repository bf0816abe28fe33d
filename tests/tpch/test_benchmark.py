"""The TPC-H benchmark reports failures and wrong answers in its table, never crashes."""

from __future__ import annotations

import pytest

from benchmarks import tpch

pytestmark = pytest.mark.slow


class _Broken:
    """An engine whose set-up works but whose every query raises."""

    queries = {1, 6}

    def __init__(self, data_dir):
        pass

    def run(self, number):
        raise RuntimeError(f"cannot run q{number}\nsecond line")


class _Wrong(_Broken):
    """An engine that answers every query with 42."""

    def run(self, number):
        return 42.0


def _unavailable(data_dir):
    raise ImportError("no such engine")


@pytest.fixture
def engines(monkeypatch):
    monkeypatch.setitem(tpch.ENGINES, "kyudo", _Broken)
    monkeypatch.setitem(tpch.ENGINES, "wrong", _Wrong)
    monkeypatch.setitem(tpch.ENGINES, "gone", _unavailable)


def test_failures_become_cells(tpch_dir, engines):
    results = tpch.run_benchmark(tpch_dir, [1, 6, 11], ["kyudo", "duckdb", "wrong", "gone"], 1)
    assert results["kyudo"][1] == {"error": "error: cannot run q1"}
    assert results["kyudo"][11] == {"skipped": "not defined"}
    assert results["gone"][6] == {"error": "error: no such engine"}
    assert results["duckdb"][6]["matches_duckdb"] is True
    assert results["wrong"][6]["matches_duckdb"] is False
    table = tpch.format_table(results, [1, 6, 11])
    assert "WRONG" in table and "n/a" in table
    assert "kyudo: error: cannot run q6" in table


def test_main_writes_json(tpch_dir, tmp_path, capsys):
    output = tmp_path / "result.json"
    tpch.main(["--data", str(tpch_dir), "--queries", "6", "--engines", "duckdb",
               "--repeat", "1", "--output", str(output)])
    assert '"q6"' in output.read_text()
    assert "q6" in capsys.readouterr().out
