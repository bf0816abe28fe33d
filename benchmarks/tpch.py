"""TPC-H: kyudo against DuckDB, Polars (and optionally Dask) on the same Parquet files.

Usage::

    python -m benchmarks.tpch --data data/tpch-sf0.1 [--queries 1,3,6 | all]
        [--engines kyudo,kyudo-sql,duckdb,polars,dask] [--repeat 3] [--warmup 1]
        [--output result.json] [--markdown] [--isolate] [--timeout SECONDS]

Engines and what they run:

* ``kyudo`` -- the DataFrame-API queries of :mod:`benchmarks.tpch_queries.dataframe`
  on ``kyudo.dataframe.read_parquet`` frames, then ``.compute()`` (unless the
  answer is already eager: ``head`` computes at once);
* ``kyudo-sql`` -- the SQL text through ``kyudo.sql.Context`` over the same
  ``read_parquet`` frames, then ``.compute()``;
* ``dask``  -- the same functions on ``dask.dataframe.read_parquet`` frames;
* ``duckdb`` -- the SQL text over views of the Parquet directories;
* ``polars`` -- the same SQL through ``polars.SQLContext`` over ``scan_parquet``.

Each query runs ``--warmup`` times per engine untimed (lazy imports, compiled
kernels, allocators warming up), then ``--repeat`` times; the table shows the best time in
seconds and, for every other engine, the ratio kyudo / that engine. Every answer
is checked against DuckDB's (when DuckDB is in the run); a wrong one is flagged.
An engine that is missing or fails a query gets ``error: ...`` in its cell instead
of stopping the run. Results, with the machine and versions, go to a JSON file in
``benchmarks/results/``.

By default everything runs in this process, which suits small scales. With
``--isolate`` (implied by ``--timeout``) each engine-query pair runs in a fresh
process (:mod:`benchmarks._subprocess`), the engines taking turns run by run
(:func:`measure_in_turn`): a run of a query that passes
``--timeout`` seconds is killed and its cell says ``timeout``; one that runs out
of memory says ``error: killed ...``; either way the engine's other queries still
run. An isolated run also records each pair's peak RSS and prints a second table.
"""

from __future__ import annotations

# kyudo before pyarrow and pandas, as its README advises, so that Arrow's
# allocator keeps freed pages (kyudo/allocator.py). Dask runs on the same
# pyarrow and gets the same setting.
import kyudo  # noqa: F401  (imported for its effect)

import argparse
import importlib
import sys
import time
from pathlib import Path
from typing import Callable

from benchmarks._report import add_common_arguments, finish, megabytes, payload, render_table
from benchmarks._subprocess import ChildResult, Worker, current_rss
from benchmarks.tpch_queries import DATAFRAME_QUERIES, SQL_QUERIES, sql_text, table_dirs
from benchmarks.tpch_queries.answers import materialize, mismatches, to_pandas

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


def engine_factory(name: str) -> Callable:
    """The engine called ``name``: one of :data:`ENGINES`, or ``"module:attribute"``
    for one defined elsewhere (a class or function taking the data directory and
    returning an object with ``queries`` and ``run(number)``)."""
    if ":" in name:
        module, _, attribute = name.partition(":")
        return getattr(importlib.import_module(module), attribute)
    return ENGINES[name]


def error_text(exc: BaseException) -> str:
    """``error: <first line of the message>``, what a failed query's cell holds."""
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"error: {first_line or type(exc).__name__}"


def time_query(engine, number: int, repeat: int, warmup: int = 0) -> dict:
    """Run one query ``warmup`` times untimed, then ``repeat`` times timed; the
    record holds the times and the first answer."""
    times, answer = [], None
    try:
        for run in range(warmup + repeat):
            start = time.perf_counter()
            result = engine.run(number)
            if run >= warmup:
                times.append(time.perf_counter() - start)
            answer = answer if answer is not None else result
    except Exception as exc:  # an engine failing a query is a result, not a crash
        return {"error": error_text(exc)}
    return {"times": times, "best": min(times), "answer": answer}


def apply_kyudo_options(options: dict | None) -> None:
    """``kyudo.config.set(**options)`` for the rest of the process. Options are
    passed through unchecked: one this kyudo does not know raises ``KeyError``,
    which becomes the error in the caller's cell."""
    if options:
        import kyudo.config

        kyudo.config.set(**options)


# What a worker process set up for itself (prepare_in_worker), for the runs
# (run_in_worker) that follow in the same process.
_prepared: dict = {}


def prepare_in_worker(engine: str, data_dir: str, query: int, options: dict | None = None) -> dict:
    """Set up one engine for one query in a worker process: ``rss_before`` (the
    resident size after set-up), or why it cannot run the query."""
    try:
        apply_kyudo_options(options)
        runner = engine_factory(engine)(Path(data_dir))
    except Exception as exc:
        return {"error": error_text(exc)}
    if query not in runner.queries:
        return {"skipped": "not defined"}
    _prepared.update(runner=runner, query=query)
    return {"rss_before": current_rss()}


def run_in_worker(keep_answer: bool) -> dict:
    """One run of the prepared query: its seconds and, when asked, its answer as
    pandas (small, and picklable whatever the engine)."""
    start = time.perf_counter()
    result = _prepared["runner"].run(_prepared["query"])
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "answer": to_pandas(result) if keep_answer else None}


def measure_in_turn(engines: list[str], data_dir: Path, query: int, repeat: int, warmup: int = 0,
                    timeout: float | None = None, options: dict | None = None,
                    before_run: Callable[[], None] | None = None) -> dict[str, dict]:
    """engine -> record for one query, each engine in its own worker process.

    Every engine is set up first; then come ``warmup`` untimed rounds and
    ``repeat`` timed ones, a round running the query once on every engine still
    going, each round starting from the next engine. So a slow phase of the
    machine falls on all engines alike, and each engine's timed runs come after
    its process's one-time costs (lazy imports, compiled kernels, a warm
    allocator). ``before_run`` is called before each run.

    A record is as :func:`time_query`'s plus ``rss_before`` and ``peak_rss``;
    an engine whose set-up or a run fails, or passes ``timeout`` seconds (each
    call, set-up or run, has its own), gets ``error`` or ``timeout`` instead and
    its worker is stopped at once, freeing its memory.
    """
    records: dict[str, dict] = {}
    workers: dict[str, Worker] = {}
    try:
        for name in engines:
            worker = workers[name] = Worker()
            prepared = worker.call("benchmarks.tpch:prepare_in_worker",
                                   dict(engine=name, data_dir=str(data_dir), query=query,
                                        options=options), timeout)
            value = prepared.value if prepared.status == "ok" else {}
            records[name] = {"times": [], **value}
            if prepared.status != "ok" or "rss_before" not in value:
                _stop(workers, records, name, prepared, timeout)
        for round_number in range(warmup + repeat):
            going = list(workers)
            start = round_number % len(going) if going else 0
            for name in going[start:] + going[:start]:
                if before_run is not None:
                    before_run()
                record = records[name]
                run = workers[name].call("benchmarks.tpch:run_in_worker",
                                         dict(keep_answer="answer" not in record), timeout)
                if run.status != "ok":
                    _stop(workers, records, name, run, timeout)
                    continue
                if round_number >= warmup:
                    record["times"].append(run.value["seconds"])
                record.setdefault("answer", run.value["answer"])
        for name, worker in workers.items():
            records[name].update(best=min(records[name]["times"]), peak_rss=worker.peak_rss)
    finally:
        for worker in workers.values():
            worker.close()
    return records


def _stop(workers: dict[str, Worker], records: dict[str, dict], name: str,
          outcome: ChildResult, timeout: float | None) -> None:
    """End engine ``name``'s part in :func:`measure_in_turn`; its record says why
    (unless its set-up already did: an error or ``skipped``)."""
    workers.pop(name).close()
    if outcome.status == "timeout":
        records[name] = {"timeout": timeout, "peak_rss": outcome.peak_rss}
    elif outcome.status == "error":
        records[name] = {"error": f"error: {outcome.error}", "peak_rss": outcome.peak_rss}
    else:
        records[name].pop("times")


def run_isolated(engine: str, data_dir: Path, query: int, repeat: int,
                 timeout: float | None = None, options: dict | None = None) -> dict:
    """One engine-query pair in a fresh process, no warm-up: its record plus
    ``peak_rss`` (the child's ru_maxrss, bytes), or ``{"timeout": seconds}`` when
    a run took too long. ``options`` are kyudo config options set in the child
    before anything runs."""
    return measure_in_turn([engine], data_dir, query, repeat, 0, timeout, options)[engine]


def _run_in_process(name: str, data_dir: Path, queries: list[int], repeat: int,
                    warmup: int) -> dict:
    try:
        engine = engine_factory(name)(data_dir)
    except Exception as exc:
        return {q: {"error": error_text(exc)} for q in queries}
    return {q: time_query(engine, q, repeat, warmup) if q in engine.queries
            else {"skipped": "not defined"} for q in queries}


def run_benchmark(data_dir: Path, queries: list[int], engines: list[str], repeat: int,
                  isolate: bool = False, timeout: float | None = None,
                  warmup: int = 0) -> dict:
    """engine -> query -> record: ``best``, ``times`` and ``matches_duckdb``;
    or ``error``; or ``timeout``; or ``skipped`` when the engine has no definition
    of the query. Each query runs ``warmup`` times untimed, then ``repeat`` times.

    Isolated runs (``isolate``, or any ``timeout``) give each engine-query pair
    its own process, add ``peak_rss``, and print a line per engine-query on
    stderr as they go (they can be long). They take the engines in turn for
    each query (:func:`measure_in_turn`): this machine has slow phases minutes
    long, and one that falls on one engine's runs skews every ratio against it.
    Each run starts with the dataset's files in the page cache (read untimed
    when last read more than 10 s before, :func:`page_cache_warmer`)."""
    results: dict[str, dict[int, dict]] = {name: {} for name in engines}
    if not (isolate or timeout is not None):
        for name in engines:
            results[name] = _run_in_process(name, data_dir, queries, repeat, warmup)
    else:
        for q in queries:
            records = measure_in_turn(engines, data_dir, q, repeat, warmup, timeout,
                                      before_run=page_cache_warmer(data_dir))
            for name in engines:
                record = results[name][q] = records[name]
                print(f"{name:>10} q{q:<2} {cell(record)}", file=sys.stderr, flush=True)
    check_answers(results)
    return results


def page_cache_warmer(data_dir: Path, fresh_for: float = 10.0) -> Callable[[], None]:
    """A function that reads the dataset into the page cache (untimed, before a
    run) unless it did so in the last ``fresh_for`` seconds.

    This machine pages out page-cache pages left unused for 30 s (a DAMON
    ``pageout`` scheme). A run that followed one of Dask's long ones (Q21, 38 s)
    read part of its files from disk: 1.6-1.8 s for kyudo's Q21 against 1.4 s,
    whichever of kyudo's two forms came after Dask."""
    warmed_at = -fresh_for

    def warm() -> None:
        nonlocal warmed_at
        if time.monotonic() - warmed_at >= fresh_for:
            warm_page_cache(data_dir)
            warmed_at = time.monotonic()

    return warm


def warm_page_cache(data_dir: Path) -> None:
    """Read every file of the dataset once, so that no engine pays for disk."""
    buffer = bytearray(16 << 20)
    for path in sorted(Path(data_dir).rglob("*.parquet")):
        with open(path, "rb", buffering=0) as file:
            while file.readinto(buffer):
                pass


def check_answers(results: dict) -> None:
    """Compare every answer with DuckDB's (``matches_duckdb``, ``mismatch``), then
    drop the answers, which do not belong in the results file."""
    reference = results.get(REFERENCE, {})
    for records in results.values():
        for q, record in records.items():
            expected = reference.get(q, {}).get("answer")
            if "answer" in record and expected is not None:
                problems = mismatches(record["answer"], expected)
                record["matches_duckdb"] = not problems
                record["mismatch"] = problems[:3]
    for records in results.values():
        for record in records.values():
            record.pop("answer", None)


def cell(record: dict) -> str:
    """How one engine-query record reads in a table: best seconds (``WRONG`` when
    the answer differs from DuckDB's), ``timeout``, ``n/a`` or the error, cut short."""
    if "skipped" in record:
        return "n/a"
    if "timeout" in record:
        return "timeout"
    if "best" not in record:
        return record["error"][:32]
    flag = "" if record.get("matches_duckdb", True) else " WRONG"
    return f"{record['best']:.4f}{flag}"


def _ratio(subject: dict, other: dict) -> str:
    if "best" in subject and "best" in other and other["best"] > 0:
        return f"{subject['best'] / other['best']:.2f}"
    return "-"


def total(results: dict, engine: str, queries: list[int]) -> dict:
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
    labelled = [(f"q{q}", {e: results[e][q] for e in engines}) for q in queries]
    labelled.append(("total", {e: total(results, e, queries) for e in engines}))
    rows = []
    for label, records in labelled:
        ratios = [_ratio(records[SUBJECT], records[o]) for o in others]
        rows.append([label, *(cell(records[e]) for e in engines), *ratios])
    errors = {f"{e}: {r['error']}" for e in engines for r in results[e].values() if "error" in r}
    return "\n".join([render_table(header, rows, markdown), *sorted(errors)])


def format_memory_table(results: dict, queries: list[int], markdown: bool = False) -> str:
    """Peak RSS in MB per query and engine, from isolated runs (``-`` for a pair
    that was not run in its own process)."""
    engines = list(results)
    rows = [[f"q{q}", *(megabytes(results[e][q].get("peak_rss")) for e in engines)]
            for q in queries]
    return render_table(["peak RSS MB", *engines], rows, markdown)


def parse_queries(text: str | None) -> list[int]:
    """``--queries``: ``"1,q6"`` -> [1, 6]; ``"all"``: the 22; none: the DataFrame ones."""
    if text is None:
        return sorted(DATAFRAME_QUERIES)
    if text == "all":
        return list(SQL_QUERIES)
    return [int(part.strip().lstrip("qQ")) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--queries", help="comma-separated numbers or 'all' "
                        "(default: those written with the DataFrame API)")
    parser.add_argument("--engines", default=",".join(DEFAULT_ENGINES),
                        help=f"comma-separated, from {sorted(ENGINES)}, or module:factory")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per query; best is kept")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed runs per query before the timed ones")
    parser.add_argument("--isolate", action="store_true",
                        help="run each engine-query pair in its own process; record peak RSS")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="kill a run of a query after this long (implies --isolate)")
    args = parser.parse_args(argv)

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(e for e in set(engines) - set(ENGINES) if ":" not in e)
    if unknown:
        parser.error(f"unknown engines {unknown}; choose from {sorted(ENGINES)}")
    queries = parse_queries(args.queries)
    try:
        table_dirs(args.data)
    except FileNotFoundError as exc:
        parser.error(str(exc))

    isolate = args.isolate or args.timeout is not None
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be at least 1 and --warmup at least 0")
    results = run_benchmark(args.data, queries, engines, args.repeat, isolate, args.timeout,
                            args.warmup)
    print(format_table(results, queries, args.markdown))
    if isolate:
        print()
        print(format_memory_table(results, queries, args.markdown))

    finish(args, "tpch", payload(
        "tpch", args.data, engines, repeat=args.repeat, warmup=args.warmup, isolate=isolate, timeout=args.timeout,
        results={e: {f"q{q}": r for q, r in records.items()} for e, records in results.items()},
    ))


if __name__ == "__main__":
    main()
