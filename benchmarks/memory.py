"""Peak memory of TPC-H Q1 and Q6 in kyudo, each run alone in a fresh process.

Usage::

    python -m benchmarks.memory --data data/tpch-sf10 [--queries 1,6]
        [--engines kyudo,kyudo-sql] [--memory-limit 1GB [--memory-limit 4GB ...]]
        [--target 1.5GB] [--timeout SECONDS] [--output FILE.json] [--markdown]

Q1 and Q6 scan all of ``lineitem`` and keep almost nothing (a handful of groups,
one number), so a streaming engine needs little memory whatever the scale: the
performance issue asks for at most 1.5 GB at scale 10. Each (query, front end,
limit) runs once in its own process (:func:`benchmarks.tpch.run_isolated`), and
the figure is that process's ``ru_maxrss``: the peak of the whole process, the
Python interpreter and imported libraries included (``before`` shows how much of
it was there before the query started).

Every query runs once without a limit, then once per ``--memory-limit``, which is
handed to ``kyudo.config.set(memory_limit=...)`` as given (``"1GB"``, ``"512MiB"``,
a number of bytes). A kyudo without that option shows the error in the row.
The answer is checked against DuckDB's (run in its own process first).
"""

from __future__ import annotations

import argparse
import sys

from benchmarks._report import MB, add_common_arguments, finish, megabytes, payload, render_table
from benchmarks.tpch import cell, run_isolated
from benchmarks.tpch_queries.answers import mismatches

FRONT_ENDS = ("kyudo", "kyudo-sql")


def parse_target(text: str) -> int:
    """``"1.5GB"`` -> bytes, with kyudo's own parser (decimal GB, binary GiB)."""
    from kyudo.config import parse_bytes

    return parse_bytes(text)


def measure(data, queries: list[int], engines: list[str], limits: list[str | None],
            timeout: float | None) -> list[dict]:
    """One row per (query, engine, limit): the isolated run's record with the
    ``query``, ``engine`` and ``memory_limit`` it ran with."""
    rows = []
    for q in queries:
        reference = run_isolated("duckdb", data, q, repeat=1, timeout=timeout).get("answer")
        for engine in engines:
            for limit in limits:
                options = None if limit is None else {"memory_limit": limit}
                record = run_isolated(engine, data, q, repeat=1, timeout=timeout, options=options)
                answer = record.pop("answer", None)
                if answer is not None and reference is not None:
                    record["matches_duckdb"] = not mismatches(answer, reference)
                row = {"query": q, "engine": engine, "memory_limit": limit, **record}
                print(f"q{q} {engine} limit={limit}: {cell(record)}", file=sys.stderr, flush=True)
                rows.append(row)
    return rows


def format_rows(rows: list[dict], target: int, markdown: bool = False) -> str:
    """query | engine | memory_limit | seconds | before MB | peak MB | within target."""
    header = ["query", "engine", "memory_limit", "seconds", "before MB", "peak MB",
              f"<= {target / MB:.0f} MB"]
    lines = []
    for row in rows:
        ran = "best" in row
        within = "-" if not ran else ("yes" if row["peak_rss"] <= target else "NO")
        lines.append([f"q{row['query']}", row["engine"], row["memory_limit"] or "none",
                      cell(row), megabytes(row.get("rss_before")),
                      megabytes(row.get("peak_rss")) if ran else "-", within])
    errors = sorted({f"q{r['query']} {r['engine']}: {r['error']}" for r in rows if "error" in r})
    return "\n".join([render_table(header, lines, markdown), *errors])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--queries", default="1,6", help="comma-separated query numbers")
    parser.add_argument("--engines", default=",".join(FRONT_ENDS),
                        help="comma-separated, from benchmarks.tpch's engines")
    parser.add_argument("--memory-limit", action="append", default=[], metavar="SIZE",
                        help="also run under kyudo.config.set(memory_limit=SIZE); repeatable")
    parser.add_argument("--target", default="1.5GB", help="the peak RSS the issue allows")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="kill a run after this long")
    args = parser.parse_args(argv)

    queries = [int(q.strip().lstrip("qQ")) for q in args.queries.split(",") if q.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    limits = [None, *args.memory_limit]
    rows = measure(args.data, queries, engines, limits, args.timeout)
    target = parse_target(args.target)
    print(format_rows(rows, target, args.markdown))
    finish(args, "memory", payload("memory", args.data, ["kyudo"], target=target, rows=rows))


if __name__ == "__main__":
    main()
