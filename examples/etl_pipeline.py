"""A small ETL job on TPC-H with kyudo's pandas-like API (the job ``make demo`` runs).

Usage::

    python -m examples.make_tpch --scale 0.1 --out data/tpch-sf0.1
    python -m examples.etl_pipeline --data data/tpch-sf0.1 [--out data/etl-output]

Sections, each a function called from :func:`main`:

1. queries -- TPC-H Q1, Q3 and Q6 as DataFrame code (the same functions the tests
   check against DuckDB), each computed and printed with its wall time;
2. plan -- the optimized plan kyudo builds for Q5 (six tables, five joins);
3. etl -- filter, derive columns, group, and write the summary to Parquet, then
   read it back;
4. sql -- the same engine through ``kyudo.sql.Context``: TPC-H Q1, Q3 and Q6 in
   their SQL text with wall times, then an ETL step in SQL alone (a view, a
   grouped query, ``COPY ... TO`` partitioned Parquet) whose lazy result is
   continued with DataFrame methods.

Every frame is lazy until ``.compute()`` (or ``head``): building a query reads only
Parquet footers.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

# kyudo before pandas (which loads pyarrow): see kyudo/allocator.py.
import kyudo.dataframe as kd

import pandas as pd
from benchmarks.tpch_queries import DATAFRAME_QUERIES, sql_text, table_dirs
from benchmarks.tpch_queries.answers import materialize

DEMO_QUERIES = (1, 3, 6)


def heading(title: str) -> None:
    print(f"\n=== {title} ===")


def load_tables(data_dir: Path) -> dict:
    """One lazy kyudo frame per TPC-H table; nothing is read but the file footers."""
    return {name: kd.read_parquet(str(path)) for name, path in table_dirs(data_dir).items()}


def run_queries(tables: dict) -> None:
    """Compute the demo queries and print each answer with how long it took."""
    for number in DEMO_QUERIES:
        start = time.perf_counter()
        answer = materialize(DATAFRAME_QUERIES[number](tables))
        elapsed = time.perf_counter() - start
        heading(f"TPC-H Q{number} ({elapsed:.3f} s)")
        print(answer)


def show_plan(tables: dict) -> None:
    """Print the plan of Q5 (six tables, five joins), where pushdown and join
    choices are visible. Q5 rather than a demo query: those end in ``head``, which
    computes at once, or in a scalar."""
    heading("explain() of TPC-H Q5")
    shown = DATAFRAME_QUERIES[5](tables).explain()
    if shown is not None:  # explain() may print the plan itself or return its text
        print(shown)


def revenue_by_year_and_mode(lineitem):
    """Filter, derive and aggregate: net revenue and tax per ship year and ship mode
    of the lines actually shipped (status 'F')."""
    shipped = lineitem[lineitem["l_linestatus"] == "F"]
    net = shipped["l_extendedprice"] * (1 - shipped["l_discount"])
    shipped = shipped.assign(
        net_revenue=net,
        tax_amount=net * shipped["l_tax"],
        ship_year=shipped["l_shipdate"].dt.year,
    )
    summary = shipped.groupby(["ship_year", "l_shipmode"]).agg(
        lines=("l_orderkey", "count"),
        net_revenue=("net_revenue", "sum"),
        tax_amount=("tax_amount", "sum"),
        avg_discount=("l_discount", "mean"),
    )
    return summary.reset_index().sort_values(["ship_year", "l_shipmode"])


def etl(tables: dict, out: Path) -> None:
    """Write the yearly summary to Parquet with kyudo and read the first rows back."""
    heading(f"ETL: revenue by ship year and mode -> {out}")
    summary = revenue_by_year_and_mode(tables["lineitem"])
    start = time.perf_counter()
    summary.to_parquet(str(out), mode="overwrite")  # the demo may run again
    print(f"written in {time.perf_counter() - start:.3f} s; first rows read back:")
    print(kd.read_parquet(str(out)).head(8))  # head computes at once


def sql_section(data_dir: Path, out: Path) -> None:
    """SQL over the same Parquet files: TPC-H queries, then a pipeline in SQL."""
    from kyudo.sql import Context

    ctx = Context()
    for name, path in table_dirs(data_dir).items():
        ctx.create_table(name, str(path))
    for number in DEMO_QUERIES:
        start = time.perf_counter()
        answer = ctx.sql(sql_text(number)).compute()
        heading(f"SQL: TPC-H Q{number} ({time.perf_counter() - start:.3f} s)")
        print(answer)

    target = out.with_name(out.name + "-sql")
    heading(f"SQL ETL: shipped revenue by mode and year -> {target}")
    start = time.perf_counter()
    ctx.sql(f"""
        CREATE OR REPLACE VIEW shipped AS
            SELECT l_shipmode, extract(year FROM l_shipdate) AS ship_year,
                   l_extendedprice * (1 - l_discount) AS net
            FROM lineitem WHERE l_linestatus = 'F';
        COPY (SELECT l_shipmode, ship_year, count(*) AS lines, sum(net) AS net_revenue
              FROM shipped GROUP BY l_shipmode, ship_year)
        TO '{target}' (FORMAT parquet, PARTITION_BY (l_shipmode), OVERWRITE)
    """)
    print(f"written in {time.perf_counter() - start:.3f} s; read back with SQL, continued in pandas style:")
    ctx.create_table("revenue", str(target))
    top = ctx.sql("SELECT l_shipmode, sum(net_revenue) AS revenue FROM revenue GROUP BY l_shipmode")
    print(top.sort_values("revenue", ascending=False).compute())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/tpch-sf0.1"),
                        help="TPC-H Parquet directory made by examples.make_tpch")
    parser.add_argument("--out", type=Path, default=Path("data/etl-output"),
                        help="where the ETL step writes its Parquet summary")
    args = parser.parse_args(argv)

    tables = load_tables(args.data)
    with pd.option_context(
        "display.width", 160, "display.max_columns", 20, "display.float_format", "{:.4f}".format
    ):
        run_queries(tables)
        show_plan(tables)
        etl(tables, args.out)
        sql_section(args.data, args.out)


if __name__ == "__main__":
    main()
