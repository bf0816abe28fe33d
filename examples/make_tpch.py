"""Generate TPC-H tables as Parquet, one directory per table, with tpchgen-cli.

Usage::

    python -m examples.make_tpch --scale 0.1 --out data/tpch-sf0.1

Layout: ``<out>/<table>/<table>.<n>.parquet``. ``lineitem`` and ``orders`` are split
into several files (``--parts``) so readers see a multi-file, multi-row-group dataset;
the smaller tables are one file each.

Types. tpchgen-cli writes ``decimal128(15, 2)`` money, ``date32`` dates and
``string_view`` strings. We rewrite two of them and keep the third:

* money -> ``float64``: pandas turns decimal128 into object columns of
  ``decimal.Decimal``, which are slow and raise ``TypeError`` when mixed with floats
  (``100.0 * price``), so pandas-style queries could not be written naturally.
  TPC-H only asks for answers to 0.01, which float64 gives at every scale we run.
* ``string_view`` -> ``string``: plain UTF-8 is what every reader and Arrow kernel
  accepts; view types are still unevenly supported by compute functions.
* dates stay ``date32``: DuckDB, Polars and Arrow compare them with date literals,
  and pandas reads them as ``datetime.date`` objects that compare with
  ``datetime.date`` too.

The generator's row groups are kept as they are. The script is idempotent: when
``<out>/tpch.json`` records the same scale and parts, it does nothing; otherwise it
generates into a scratch directory beside ``<out>`` and swaps it in, so an
interrupted run never leaves a half-written dataset behind.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TABLES = ("region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem")
SPLIT_TABLES = ("orders", "lineitem")
MANIFEST = "tpch.json"


def find_tpchgen() -> str:
    """Locate tpchgen-cli: first beside the running interpreter (a venv), then on PATH."""
    beside = Path(sys.executable).with_name("tpchgen-cli")
    if beside.exists():
        return str(beside)
    found = shutil.which("tpchgen-cli")
    if found is None:
        raise FileNotFoundError("tpchgen-cli not found; install it with `pip install tpchgen-cli`")
    return found


def friendly_type(t: pa.DataType) -> pa.DataType:
    """The type we store for a generated column type (see the module docstring)."""
    if pa.types.is_decimal(t):
        return pa.float64()
    if t == pa.string_view():
        return pa.string()
    return t


def rewrite_types(path: Path) -> None:
    """Rewrite one Parquet file in place with friendly types, keeping its row groups."""
    source = pq.ParquetFile(path)
    schema = pa.schema([f.with_type(friendly_type(f.type)) for f in source.schema_arrow])
    tmp = path.with_suffix(".rewrite")
    with pq.ParquetWriter(tmp, schema) as writer:
        for i in range(source.num_row_groups):
            writer.write_table(source.read_row_group(i).cast(schema))
    source.close()
    tmp.replace(path)


def generate(scale: float, out: Path, parts: int = 4) -> Path:
    """Make ``out`` hold the TPC-H tables at ``scale``; return ``out``.

    Does nothing when ``out`` already holds a finished dataset with the same settings;
    replaces a dataset made with other settings; refuses to touch any other directory.
    """
    settings = {"scale": scale, "parts": parts, "tables": list(TABLES)}
    manifest = out / MANIFEST
    if manifest.exists() and json.loads(manifest.read_text()) == settings:
        return out
    if out.exists() and any(out.iterdir()) and not manifest.exists():
        # Replacing ``out`` deletes it; only ever delete a dataset this script made.
        raise FileExistsError(f"{out} is not empty and was not made by make_tpch")
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        tool = find_tpchgen()
        single = [t for t in TABLES if t not in SPLIT_TABLES]
        for tables, n in ((SPLIT_TABLES, parts), (single, 1)):
            subprocess.run(
                [tool, "parquet", "--scale-factor", str(scale), "--tables", ",".join(tables),
                 "--parts", str(n), "--output-dir", str(scratch), "--quiet"],
                check=True,
            )
        for path in sorted(scratch.glob("*/*.parquet")):
            rewrite_types(path)
        (scratch / MANIFEST).write_text(json.dumps(settings))
        if out.exists():
            shutil.rmtree(out)
        scratch.rename(out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="TPC-H scale factor")
    parser.add_argument("--out", type=Path, default=Path("data/tpch-sf0.1"))
    parser.add_argument("--parts", type=int, default=4, help="files for lineitem and orders")
    args = parser.parse_args(argv)
    try:
        out = generate(args.scale, args.out, args.parts)
    except FileExistsError as exc:
        parser.error(f"{exc}; choose another --out")
    print(f"TPC-H scale {args.scale:g} in {out}")


if __name__ == "__main__":
    main()
