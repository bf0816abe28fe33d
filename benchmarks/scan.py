"""Parquet scan throughput: kyudo's reader against raw ``pyarrow.dataset``.

Usage::

    python -m benchmarks.scan --data data/tpch-sf10 [--repeat 3] [--cases q6,...]
        [--output FILE.json] [--markdown]

Every case reads some ``lineitem`` columns, with or without a filter, three ways:

* ``pyarrow`` -- ``pyarrow.dataset.dataset(dir).to_table(columns=..., filter=...)``,
  the reference: as fast as reading these files into Arrow gets in Python;
* ``kyudo args`` -- ``kyudo.dataframe.read_parquet(dir, columns=..., filters=...)
  .to_arrow()``: columns and filter given to the reader;
* ``kyudo mask`` -- ``read_parquet(dir)``, then a boolean mask and a column
  selection, ``.to_arrow()``: what a pandas user writes, which the optimizer must
  push down into the reader to match the first form.

Each figure is the best of ``--repeat`` runs, timed from opening the dataset
(footers included, for all three) to the Arrow table in hand; one untimed pyarrow
read first warms the page cache, so all forms read from memory alike. Throughput
is the Arrow result's bytes over seconds. ``kyudo/pyarrow`` is kyudo's
throughput as a fraction of pyarrow's (the issue asks for at least 0.80); the
row counts of the three forms must agree, or the row says ``ROWS DIFFER``.
"""

from __future__ import annotations

import argparse
import operator
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from benchmarks._report import MB, add_common_arguments, finish, payload, render_table

# (column, operator, value), all of them ANDed: one spelling that becomes the
# reader's DNF filters, pyarrow's expression and the DataFrame mask alike.
Condition = tuple[str, str, object]
_OPERATORS: dict[str, Callable] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                   ">=": operator.ge, "==": operator.eq}


@dataclass(frozen=True)
class Case:
    name: str
    columns: tuple[str, ...]
    conditions: tuple[Condition, ...] = ()


Q6_COLUMNS = ("l_shipdate", "l_discount", "l_quantity", "l_extendedprice")
CASES = {c.name: c for c in (
    Case("q6", Q6_COLUMNS, (("l_shipdate", ">=", date(1994, 1, 1)),
                            ("l_shipdate", "<", date(1995, 1, 1)))),
    Case("4-columns", ("l_orderkey", "l_quantity", "l_extendedprice", "l_shipdate")),
    Case("q1", ("l_returnflag", "l_linestatus", "l_quantity", "l_extendedprice",
                "l_discount", "l_tax", "l_shipdate"), (("l_shipdate", "<=", date(1998, 9, 2)),)),
)}


def read_pyarrow(path: Path, case: Case) -> pa.Table:
    dnf = list(case.conditions) or None
    predicate = pq.filters_to_expression(dnf) if dnf else None
    return ds.dataset(str(path), format="parquet").to_table(columns=list(case.columns),
                                                             filter=predicate)


def read_kyudo_args(path: Path, case: Case) -> pa.Table:
    import kyudo.dataframe as kd

    dnf = list(case.conditions) or None
    return kd.read_parquet(str(path), columns=list(case.columns), filters=dnf).to_arrow()


def read_kyudo_mask(path: Path, case: Case) -> pa.Table:
    import kyudo.dataframe as kd

    frame = kd.read_parquet(str(path))
    if case.conditions:
        mask = None
        for column, op, value in case.conditions:
            term = _OPERATORS[op](frame[column], value)
            mask = term if mask is None else mask & term
        frame = frame[mask]
    return frame[list(case.columns)].to_arrow()


FORMS = {"pyarrow": read_pyarrow, "kyudo args": read_kyudo_args, "kyudo mask": read_kyudo_mask}


def best_of(read: Callable[[], pa.Table], repeat: int) -> tuple[float, pa.Table]:
    """The shortest of ``repeat`` timed reads, and the last table read."""
    best, table = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        table = read()
        best = min(best, time.perf_counter() - start)
    return best, table


def measure(path: Path, cases: list[Case], repeat: int) -> list[dict]:
    """One row per case: per form, seconds, rows and bytes of the result, MB/s."""
    rows = []
    for case in cases:
        read_pyarrow(path, case)  # warm the page cache; not timed
        row = {"case": case.name, "columns": list(case.columns),
               "filter": [[c, op, str(v)] for c, op, v in case.conditions]}
        for form, read in FORMS.items():
            try:
                seconds, table = best_of(lambda: read(path, case), repeat)
            except Exception as exc:  # a failing form is a result, not a crash
                row[form] = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
                continue
            row[form] = {"seconds": seconds, "rows": table.num_rows, "bytes": table.nbytes,
                         "mb_per_s": table.nbytes / MB / seconds}
        rows.append(row)
    return rows


def ratio(row: dict, form: str) -> float | None:
    """Throughput of ``form`` over pyarrow's, same bytes assumed: pyarrow's
    seconds over the form's (``None`` when either failed)."""
    mine, reference = row.get(form, {}), row.get("pyarrow", {})
    if "seconds" not in mine or "seconds" not in reference:
        return None
    return reference["seconds"] / mine["seconds"]


def format_rows(rows: list[dict], markdown: bool = False) -> str:
    """case | rows | MB | MB/s per form | kyudo/pyarrow per kyudo form."""
    kyudo_forms = [f for f in FORMS if f != "pyarrow"]
    header = ["case", "rows", "result MB", *(f"{f} MB/s" for f in FORMS),
              *(f"{f} / pyarrow" for f in kyudo_forms)]
    lines, errors = [], []
    for row in rows:
        reference = row["pyarrow"]
        counts = {row[f]["rows"] for f in FORMS if "rows" in row[f]}
        cells = [row["case"], str(reference.get("rows", "-")),
                 f"{reference['bytes'] / MB:.0f}" if "bytes" in reference else "-"]
        cells += [f"{row[f]['mb_per_s']:.0f}" if "mb_per_s" in row[f] else "error" for f in FORMS]
        cells += ["-" if ratio(row, f) is None else f"{ratio(row, f):.2f}" for f in kyudo_forms]
        if len(counts) > 1:
            cells[1] += " ROWS DIFFER"
        lines.append(cells)
        errors += [f"{row['case']} {f}: {row[f]['error']}" for f in FORMS if "error" in row[f]]
    return "\n".join([render_table(header, lines, markdown), *errors])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, from {list(CASES)}")
    parser.add_argument("--repeat", type=int, default=3, help="reads per form; best is kept")
    args = parser.parse_args(argv)

    names = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(names) - set(CASES))
    if unknown:
        parser.error(f"unknown cases {unknown}; choose from {list(CASES)}")
    path = args.data / "lineitem"
    if not path.is_dir():
        parser.error(f"{path} does not exist; run `python -m examples.make_tpch --out {args.data}`")
    rows = measure(path, [CASES[n] for n in names], args.repeat)
    print(format_rows(rows, args.markdown))
    finish(args, "scan", payload("scan", args.data, ["kyudo"], repeat=args.repeat, rows=rows))


if __name__ == "__main__":
    main()
