"""Fixtures for the TPC-H tests: one scale-0.1 dataset per session, DuckDB's
answers as the reference, and the DataFrame backends the queries run on.

The dataset in ``data/tpch-sf0.1`` (what ``make demo`` creates) is reused when it
is complete; otherwise one is generated into a temporary directory (about 5 s).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from benchmarks.tpch_queries import sql_text, table_dirs
from examples.make_tpch import MANIFEST, generate

SCALE = 0.1
REPO_DATA = Path(__file__).resolve().parents[2] / "data" / "tpch-sf0.1"


@pytest.fixture(scope="session")
def tpch_dir(tmp_path_factory) -> Path:
    """A directory holding the TPC-H tables at scale 0.1."""
    if (REPO_DATA / MANIFEST).exists():
        return REPO_DATA
    return generate(SCALE, tmp_path_factory.mktemp("tpch") / "tpch-sf0.1")


@pytest.fixture(scope="session")
def sql_answer(tpch_dir):
    """``sql_answer(n)``: DuckDB's answer to the SQL of query ``n``, as pandas."""
    from benchmarks.tpch_queries.duckdb_views import connect

    con = connect(tpch_dir)
    cache: dict[int, pd.DataFrame] = {}

    def answer(number: int) -> pd.DataFrame:
        if number not in cache:
            cache[number] = con.execute(sql_text(number)).df()
        return cache[number]

    return answer


def _pandas_tables(tpch_dir: Path) -> dict:
    # Arrow-backed dtypes keep date32 a date type, so ``.dt.year`` works as in kyudo.
    dirs = table_dirs(tpch_dir)
    return {name: pd.read_parquet(path, dtype_backend="pyarrow") for name, path in dirs.items()}


def _kyudo_tables(tpch_dir: Path) -> dict:
    import kyudo.dataframe as kd

    return {name: kd.read_parquet(str(path)) for name, path in table_dirs(tpch_dir).items()}


BACKENDS = {"pandas": _pandas_tables, "kyudo": _kyudo_tables}


@pytest.fixture(scope="session", params=sorted(BACKENDS))
def tables(request, tpch_dir) -> dict:
    """Table name -> frame, once per backend: eager pandas frames or lazy kyudo ones."""
    return BACKENDS[request.param](tpch_dir)
