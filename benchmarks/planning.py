"""Planning time of the 22 TPC-H queries in kyudo, without executing them.

Usage::

    python -m benchmarks.planning --data data/tpch-sf10 [--queries all] [--repeat 5]
        [--engines kyudo,kyudo-sql] [--output FILE.json] [--markdown]

What is timed, per query: everything from the query text (or the DataFrame-API
function) to the task graph the engine would run -- building the logical plan
(for SQL: parsing, qualifying and translating), optimizing it, lowering it to a
physical plan and turning that into tasks -- and nothing after. The issue asks for
under 50 ms per query. Tables are opened once beforehand (their Parquet footers
read), as in :mod:`benchmarks.tpch`.

How the run is stopped before execution: the DataFrame queries end in
``compute()`` or ``head()`` (some inside the function), so there is no lazy plan to
take from them without changing them. Instead :func:`stop_before_execution`
replaces the one function every kyudo result goes through on its way to the
executor (``kyudo.planner.compile.compute``, the engine's ``compute``) with one
that raises :class:`Planned`. The clock stops when it is raised. Should kyudo ever
reach its executor another way, the query finishes instead and its row says
``EXECUTED`` rather than reporting an execution as a planning time.

Each query is planned ``--repeat`` times; ``first`` is the first time (nothing of
that query cached yet), ``median`` and ``max`` over all of them. Before any is
timed, Q6 is planned once untimed, so the process's one-time costs (imports done
lazily, sqlglot's dialect set-up) are not charged to the first query measured.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import contextmanager
from pathlib import Path

from benchmarks._report import add_common_arguments, finish, payload, render_table
from benchmarks.tpch import ENGINES, error_text, parse_queries

FRONT_ENDS = ("kyudo", "kyudo-sql")
TARGET_MS = 50.0


class Planned(Exception):
    """Raised where execution would start: planning is over."""


@contextmanager
def stop_before_execution():
    """Within the block, any kyudo computation raises :class:`Planned` instead of
    running its task graph."""
    import kyudo.planner.compile as compile_module

    def refuse(*args, **kwargs):
        raise Planned

    original = compile_module.compute
    compile_module.compute = refuse
    try:
        yield
    finally:
        compile_module.compute = original


def plan_once(engine, number: int) -> float:
    """Seconds from nothing to the task graph of query ``number``."""
    start = time.perf_counter()
    try:
        engine.run(number)
    except Planned:
        return time.perf_counter() - start
    raise RuntimeError("EXECUTED: the query ran without going through the patched compute")


def _warm_up(engine) -> None:
    """Plan Q6 once, untimed: one-time costs of the process (lazy imports, sqlglot's
    dialect tables) must not land on whichever query happens to come first."""
    try:
        with stop_before_execution():
            plan_once(engine, 6)
    except Exception:
        pass  # the query's own failure is reported when it is measured


def measure(data: Path, queries: list[int], engines: list[str], repeat: int) -> dict:
    """engine -> query -> ``{"ms": [...], "first", "median", "max"}`` or ``{"error"}``."""
    results: dict[str, dict[int, dict]] = {}
    for name in engines:
        engine = ENGINES[name](data)
        _warm_up(engine)
        results[name] = {}
        for q in queries:
            if q not in engine.queries:
                results[name][q] = {"skipped": "not defined"}
                continue
            try:
                with stop_before_execution():
                    ms = [plan_once(engine, q) * 1000 for _ in range(repeat)]
            except Exception as exc:
                results[name][q] = {"error": error_text(exc)}
                continue
            results[name][q] = {"ms": ms, "first": ms[0], "median": statistics.median(ms),
                                "max": max(ms)}
    return results


def format_results(results: dict, queries: list[int], markdown: bool = False) -> str:
    """Per query, for each engine: first, median and max milliseconds; the last
    row is the worst of each column, marked when over the 50 ms target."""
    engines = list(results)
    stats = ("first", "median", "max")
    header = ["query", *(f"{e} {s} ms" for e in engines for s in stats)]

    def cell(record: dict, stat: str) -> str:
        if "skipped" in record:
            return "n/a"
        return f"{record[stat]:.1f}" if stat in record else record["error"][:24]

    lines = [[f"q{q}", *(cell(results[e][q], s) for e in engines for s in stats)] for q in queries]
    worst = ["worst"]
    for e in engines:
        for s in stats:
            values = [r[s] for r in results[e].values() if s in r]
            worst.append("-" if not values else
                         f"{max(values):.1f}" + (" OVER" if max(values) > TARGET_MS else ""))
    lines.append(worst)
    errors = sorted({f"{e}: {r['error']}" for e in engines for r in results[e].values() if "error" in r})
    return "\n".join([render_table(header, lines, markdown), *errors])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--queries", default="all", help="comma-separated numbers or 'all'")
    parser.add_argument("--engines", default=",".join(FRONT_ENDS), help="kyudo and/or kyudo-sql")
    parser.add_argument("--repeat", type=int, default=5, help="plans per query")
    args = parser.parse_args(argv)

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not set(engines) <= set(FRONT_ENDS):
        parser.error(f"engines must be among {FRONT_ENDS}")
    queries = parse_queries(args.queries)
    results = measure(args.data, queries, engines, args.repeat)
    print(format_results(results, queries, args.markdown))
    finish(args, "planning", payload(
        "planning", args.data, ["kyudo"], repeat=args.repeat, target_ms=TARGET_MS,
        results={e: {f"q{q}": r for q, r in records.items()} for e, records in results.items()},
    ))


if __name__ == "__main__":
    main()
