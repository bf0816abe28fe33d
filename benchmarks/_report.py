"""What every benchmark script shares when it reports: tables, JSON files, the
description of the machine and libraries, and the command-line options for them.

Each script prints one table (plain for the terminal, or Markdown to paste into
``benchmarks/README.md``) and writes a JSON file with every figure, the dataset
settings, the machine and the library versions, so a figure quoted in the README
can be traced to the run that produced it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

RESULTS_DIR = Path(__file__).with_name("results")
MB = 10**6


def render_table(header: list[str], rows: list[list[str]], markdown: bool = False) -> str:
    """Right-aligned columns; Markdown with right-aligned rules when asked.

    >>> print(render_table(["a", "bb"], [["1", "2"]]))
    a  bb
    -  --
    1   2
    """
    rows = [list(header), *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    rule = ["-" * (w - 1) + (":" if markdown else "-") for w in widths]
    rows.insert(1, rule)
    if markdown:
        return "\n".join("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths)) + " |"
                         for row in rows)
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows)


def megabytes(n_bytes: int | None) -> str:
    """Bytes as decimal megabytes for a table cell; ``-`` when unknown."""
    return "-" if n_bytes is None else f"{n_bytes / MB:.0f}"


def versions(modules: list[str]) -> dict[str, str]:
    """Library versions from the imported modules, which also covers a kyudo run
    from a source checkout that pip never installed."""
    found = {}
    for name in [*modules, "pyarrow", "pandas"]:
        try:
            found[name] = importlib.import_module(name).__version__
        except (ImportError, AttributeError):
            found[name] = "not available"
    return found


def payload(benchmark: str, data: Path, modules: list[str], **figures) -> dict:
    """The JSON document of one run: what ran, on which data and machine, and
    ``figures`` (whatever the script measured)."""
    manifest = Path(data) / "tpch.json"
    return {
        "benchmark": benchmark,
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "data": str(data),
        "dataset": json.loads(manifest.read_text()) if manifest.exists() else None,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "python": sys.version.split()[0]},
        "versions": versions(modules),
        **figures,
    }


def write_json(path: Path, document: dict) -> None:
    """Write atomically, so a crash never leaves a truncated result file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=2))
    tmp.replace(path)


def default_output(benchmark: str) -> Path:
    """``benchmarks/results/<benchmark>-<UTC time>.json``."""
    return RESULTS_DIR / f"{benchmark}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json"


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data``, ``--output`` and ``--markdown``, the same in every script."""
    parser.add_argument("--data", type=Path, default=Path("data/tpch-sf0.1"),
                        help="TPC-H directory made by examples.make_tpch")
    parser.add_argument("--output", type=Path, help="JSON file (default: in benchmarks/results)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")


def finish(args: argparse.Namespace, benchmark: str, document: dict) -> None:
    """Write the run's JSON where asked (or to the default place) and say where."""
    output = args.output or default_output(benchmark)
    write_json(output, document)
    print(f"\nresults written to {output}")
