"""TPC-H: kyudo against DuckDB, Polars (and optionally Dask) on the same Parquet files.

Usage::

    python -m benchmarks.tpch --data data/tpch-sf0.1 [--queries 1,3,6 | all]
        [--engines kyudo,kyudo-sql,duckdb,polars,dask] [--repeat 3] [--output result.json]
        [--markdown]

Engines and what they run:

* ``kyudo`` -- the DataFrame-API queries of :mod:`benchmarks.tpch_queries.dataframe`
  on ``kyudo.dataframe.read_parquet`` frames, then ``.compute()`` (unless the
  answer is already eager: ``head`` computes at once);
* ``kyudo-sql`` -- the SQL text through ``kyudo.sql.Context`` over the same
  ``read_parquet`` frames, then ``.compute()``;
* ``dask``  -- the same functions on ``dask.dataframe.read_parquet`` frames;
* ``duckdb`` -- the SQL text over views of the Parquet directories;
* ``polars`` -- the same SQL through ``polars.SQLContext`` over ``scan_parquet``.

Each query runs ``--repeat`` times per engine; the table shows the best time in
seconds and, for every other engine, the ratio kyudo / that engine. Every answer
is checked against DuckDB's (when DuckDB is in the run); a wrong one is flagged.
An engine that is missing or fails a query gets ``error: ...`` in its cell instead
of stopping the run. Results, with the machine and versions, go to a JSON file in
``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.tpch_queries import DATAFRAME_QUERIES, SQL_QUERIES, sql_text, table_dirs
from benchmarks.tpch_queries.answers import materialize, mismatches

RESULTS_DIR = Path(__file__).with_name("results")
DEFAULT_ENGINES = ("kyudo", "kyudo-sql", "duckdb", "polars")
REFERENCE = "duckdb"
SUBJECT = "kyudo"


class DataFrameEngine:
    """Runs the DataFrame-API queries on frames from ``<module>.read_parquet``."""

    def __init__(self, module: str, data_dir: Path):
        reader = importlib.import_module(module).read_parquet
        self.tables = {name: reader(str(path)) for name, path in table_dirs(data_dir).items()}
        self.queries = set(DATAFRAME_QUERIES)

    def run(self, number: int):
        return materialize(DATAFRAME_QUERIES[number](self.tables))


class DuckDBEngine:
    """Runs the SQL text with DuckDB, fetching the answer as an Arrow table."""

    def __init__(self, data_dir: Path):
        from benchmarks.tpch_queries.duckdb_views import connect

        self.con = connect(data_dir)
        self.queries = set(SQL_QUERIES)

    def run(self, number: int):
        return self.con.sql(sql_text(number)).to_arrow_table()


class PolarsEngine:
    """Runs the SQL text with Polars' SQL interface over lazy Parquet scans."""

    def __init__(self, data_dir: Path):
        import polars as pl

        dirs = table_dirs(data_dir)
        scans = {name: pl.scan_parquet(f"{path}/*.parquet") for name, path in dirs.items()}
        self.context = pl.SQLContext(scans)
        self.queries = set(SQL_QUERIES)

    def run(self, number: int):
        return self.context.execute(sql_text(number)).collect()


class KyudoSQLEngine:
    """Runs the SQL text with ``kyudo.sql.Context`` over Parquet tables."""

    def __init__(self, data_dir: Path):
        from kyudo.sql import Context

        self.context = Context()
        for name, path in table_dirs(data_dir).items():
            self.context.create_table(name, str(path))
        self.queries = set(SQL_QUERIES)

    def run(self, number: int):
        return self.context.sql(sql_text(number)).compute()


# Each engine imports its library when it is created, so a missing or broken one
# becomes error cells in the table instead of stopping the other engines.
ENGINES = {
    "kyudo": lambda data: DataFrameEngine("kyudo.dataframe", data),
    "kyudo-sql": KyudoSQLEngine,
    "dask": lambda data: DataFrameEngine("dask.dataframe", data),
    "duckdb": DuckDBEngine,
    "polars": PolarsEngine,
}


def _error(exc: BaseException) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"error: {first_line or type(exc).__name__}"


def time_query(engine, number: int, repeat: int) -> dict:
    """Run one query ``repeat`` times; the record holds the times and the first answer."""
    times, answer = [], None
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            result = engine.run(number)
            times.append(time.perf_counter() - start)
            answer = answer if answer is not None else result
    except Exception as exc:  # an engine failing a query is a result, not a crash
        return {"error": _error(exc)}
    return {"times": times, "best": min(times), "answer": answer}


def run_benchmark(data_dir: Path, queries: list[int], engines: list[str], repeat: int) -> dict:
    """engine -> query -> record: ``best``, ``times`` and ``matches_duckdb``;
    or ``error``; or ``skipped`` when the engine has no definition of the query."""
    results: dict[str, dict[int, dict]] = {}
    for name in engines:
        try:
            engine = ENGINES[name](data_dir)
        except Exception as exc:
            results[name] = {q: {"error": _error(exc)} for q in queries}
            continue
        results[name] = {
            q: time_query(engine, q, repeat) if q in engine.queries else {"skipped": "not defined"}
            for q in queries
        }
    reference = results.get(REFERENCE, {})
    for name, records in results.items():
        for q, record in records.items():
            expected = reference.get(q, {}).get("answer")
            if "answer" in record and expected is not None:
                problems = mismatches(record["answer"], expected)
                record["matches_duckdb"] = not problems
                record["mismatch"] = problems[:3]
    for records in results.values():
        for record in records.values():
            record.pop("answer", None)
    return results


def _cell(record: dict) -> str:
    if "skipped" in record:
        return "n/a"
    if "best" not in record:
        return record["error"][:32]
    flag = "" if record.get("matches_duckdb", True) else " WRONG"
    return f"{record['best']:.4f}{flag}"


def _ratio(subject: dict, other: dict) -> str:
    if "best" in subject and "best" in other and other["best"] > 0:
        return f"{subject['best'] / other['best']:.2f}"
    return "-"


def _total(results: dict, engine: str, queries: list[int]) -> dict:
    """Sum of best times over the queries answered by every engine that answered any,
    so totals and their ratios compare the same work."""
    working = [e for e in results if any("best" in r for r in results[e].values())]
    common = [q for q in queries if all("best" in results[e][q] for e in working)]
    if engine not in working or not common:
        return {"error": "-"}
    return {"best": sum(results[engine][q]["best"] for q in common)}


def format_table(results: dict, queries: list[int], markdown: bool = False) -> str:
    """A text table: best seconds per engine, then kyudo / each other engine.

    Plain columns for the terminal, or a Markdown table to paste into README.md.
    Errors are cut short in the table and listed in full (once each) below it.
    """
    engines = list(results)
    others = [e for e in engines if e != SUBJECT] if SUBJECT in results else []
    header = ["query", *engines, *(f"{SUBJECT}/{e}" for e in others)]
    rows = [header]
    labelled = [(f"q{q}", {e: results[e][q] for e in engines}) for q in queries]
    labelled.append(("total", {e: _total(results, e, queries) for e in engines}))
    for label, records in labelled:
        ratios = [_ratio(records[SUBJECT], records[o]) for o in others]
        rows.append([label, *(_cell(records[e]) for e in engines), *ratios])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    rule = ["-" * (w - 1) + (":" if markdown else "-") for w in widths]
    rows.insert(1, rule)
    if markdown:
        lines = ["| " + " | ".join(c.rjust(w) for c, w in zip(row, widths)) + " |" for row in rows]
    else:
        lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows]
    errors = {f"{e}: {r['error']}" for e in engines for r in results[e].values() if "error" in r}
    return "\n".join(lines + sorted(errors))


def _versions(engines: list[str]) -> dict[str, str]:
    """Library versions from the imported modules, which also covers a kyudo run
    from a source checkout that pip never installed."""
    found = {}
    for name in [*engines, "pyarrow", "pandas"]:
        try:
            found[name] = importlib.import_module(name).__version__
        except (ImportError, AttributeError):
            found[name] = "not available"
    return found


def write_json(path: Path, payload: dict) -> None:
    """Write atomically, so a crash never leaves a truncated result file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2))
    tmp.replace(path)


def _parse_queries(text: str | None) -> list[int]:
    if text is None:
        return sorted(DATAFRAME_QUERIES)
    if text == "all":
        return list(SQL_QUERIES)
    return [int(part.strip().lstrip("qQ")) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/tpch-sf0.1"))
    parser.add_argument("--queries", help="comma-separated numbers or 'all' "
                        "(default: those written with the DataFrame API)")
    parser.add_argument("--engines", default=",".join(DEFAULT_ENGINES),
                        help=f"comma-separated, from {sorted(ENGINES)}")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query; best is kept")
    parser.add_argument("--output", type=Path, help="JSON file (default: in benchmarks/results)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engines {unknown}; choose from {sorted(ENGINES)}")
    queries = _parse_queries(args.queries)
    try:
        table_dirs(args.data)
    except FileNotFoundError as exc:
        parser.error(str(exc))

    results = run_benchmark(args.data, queries, engines, args.repeat)
    print(format_table(results, queries, args.markdown))

    manifest = args.data / "tpch.json"
    stamp = datetime.now(timezone.utc)
    payload = {
        "benchmark": "tpch",
        "when": stamp.isoformat(timespec="seconds"),
        "data": str(args.data),
        "dataset": json.loads(manifest.read_text()) if manifest.exists() else None,
        "repeat": args.repeat,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "python": sys.version.split()[0]},
        "versions": _versions(engines),
        "results": {e: {f"q{q}": r for q, r in records.items()} for e, records in results.items()},
    }
    output = args.output or RESULTS_DIR / f"tpch-{stamp:%Y%m%dT%H%M%SZ}.json"
    write_json(output, payload)
    print(f"\nresults written to {output}")


if __name__ == "__main__":
    main()
