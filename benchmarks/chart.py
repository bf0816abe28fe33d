"""Draw a TPC-H results file (what ``benchmarks.tpch`` writes) as a PNG chart.

Usage::

    python -m benchmarks.chart benchmarks/results/sf10/tpch.json [--output tpch.png]

Left: for every query, one bar per engine, best wall seconds on a log scale (the
engines differ by orders of magnitude across queries). A query an engine did not
answer gets a letter at the foot of its slot instead of a bar: ``T`` timeout,
``E`` error, ``-`` not defined; a wrong answer is a hatched bar. Right: each
engine's total over the queries every engine answered (the ``total`` row of the
table), so the totals compare the same work.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.tpch import total

MISSING_MARK = {"timeout": "T", "error": "E", "skipped": "-"}


def chart_data(document: dict) -> dict:
    """What the chart shows, from a results document, without drawing anything:
    ``queries``, ``engines``, ``seconds[engine]`` (a value or ``None`` per query),
    ``marks[engine]`` (``""``, ``"T"``, ``"E"``, ``"-"`` or ``"wrong"`` per query),
    ``totals[engine]`` (``None`` when the engine answered none of the common set)
    and a ``title``."""
    results = document["results"]
    engines = list(results)
    queries = sorted({q for records in results.values() for q in records},
                     key=lambda q: int(q.lstrip("q")))
    seconds, marks = {}, {}
    for e in engines:
        seconds[e], marks[e] = [], []
        for q in queries:
            record = results[e].get(q, {"skipped": "not run"})
            seconds[e].append(record.get("best"))
            if "best" in record:
                marks[e].append("" if record.get("matches_duckdb", True) else "wrong")
            else:
                marks[e].append(next((m for k, m in MISSING_MARK.items() if k in record), "E"))
    totals = {e: total(results, e, queries).get("best") for e in engines}
    scale = (document.get("dataset") or {}).get("scale", "?")
    machine = document.get("machine", {})
    title = (f"TPC-H scale {scale:g}" if isinstance(scale, (int, float)) else f"TPC-H scale {scale}")
    warmup = f" after {document['warmup']} warm-up" if document.get("warmup") else ""
    title += (f", best of {document.get('repeat', '?')}{warmup}, {machine.get('cpus', '?')} CPUs"
              f" ({document.get('when', '')[:16].replace('T', ' ')} UTC)")
    return {"queries": queries, "engines": engines, "seconds": seconds, "marks": marks,
            "totals": totals, "title": title}


def draw(data: dict, output: Path) -> None:
    """Render :func:`chart_data` to a PNG file."""
    import matplotlib

    matplotlib.use("Agg")  # files only; no display needed
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    queries, engines = data["queries"], data["engines"]
    fig, (ax, ax_total) = plt.subplots(1, 2, figsize=(16, 5.5), width_ratios=[6, 1],
                                      layout="constrained")
    width = 0.8 / max(len(engines), 1)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    floor = min((s for e in engines for s in data["seconds"][e] if s), default=1e-3) / 2
    for i, engine in enumerate(engines):
        colour = colours[i % len(colours)]
        xs = [k + (i - (len(engines) - 1) / 2) * width for k in range(len(queries))]
        for x, value, mark in zip(xs, data["seconds"][engine], data["marks"][engine]):
            if value is None:
                ax.text(x, floor, mark, ha="center", va="bottom", fontsize=7, color=colour)
            else:
                ax.bar(x, value, width, color=colour, hatch="///" if mark == "wrong" else None,
                       edgecolor="black" if mark == "wrong" else colour)
    ax.set_yscale("log")
    ax.set_ylim(bottom=floor * 0.8)  # room for the letters of missing bars
    ax.set_xticks(range(len(queries)), queries)
    ax.set_ylabel("seconds (best, log scale)")
    ax.set_xlabel("no bar: T timeout, E error, - not defined;  hatched bar: wrong answer",
                  fontsize=8)
    ax.set_title(data["title"])
    handles = [Patch(color=colours[i % len(colours)], label=e) for i, e in enumerate(engines)]
    ax.legend(handles=handles, ncols=len(engines), fontsize=8, loc="upper left")
    ax.grid(axis="y", which="major", alpha=0.3)

    totals = [(e, t) for e, t in data["totals"].items() if t is not None]
    ax_total.bar(range(len(totals)), [t for _, t in totals],
                 color=[colours[engines.index(e) % len(colours)] for e, _ in totals])
    ax_total.set_xticks(range(len(totals)), [e for e, _ in totals], rotation=45, ha="right")
    ax_total.set_yscale("log")
    ax_total.set_title("total (common queries)")
    for k, (_, t) in enumerate(totals):
        ax_total.text(k, t, f"{t:.3g}", ha="center", va="bottom", fontsize=7)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a JSON file written by benchmarks.tpch")
    parser.add_argument("--output", type=Path, help="PNG file (default: beside the JSON)")
    args = parser.parse_args(argv)
    output = args.output or args.results.with_suffix(".png")
    draw(chart_data(json.loads(args.results.read_text())), output)
    print(f"chart written to {output}")


if __name__ == "__main__":
    main()
