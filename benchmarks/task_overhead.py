"""Per-task scheduling overhead of kyudo's executors, next to Dask's.

Every task does nothing, so the time per task *is* the engine's overhead: graph
set-up (ordering, dependency counts), dispatch, bookkeeping and freeing. Three
shapes stress different paths:

* ``independent``: N unrelated tasks (the ready queue),
* ``chain``: one linear chain, *not* fused (each task unblocks the next),
* ``tree``: a sum tree with split_every=8 (fan-in, freeing).

Executors run the graphs directly (no culling or fusion), like
``dask.threaded.get`` does, so both sides do the same work. Each figure is the
best of a few repeats.

    python -m benchmarks.task_overhead [--tasks 10000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import time
from typing import Callable

from kyudo.engine import Ref, Task
from kyudo.engine.executors import SyncExecutor, ThreadExecutor


def noop(*args):
    return None


def independent(n: int) -> tuple[dict, list, dict]:
    graph = {("t", i): Task(noop) for i in range(n)}
    dask = {("t", i): (noop,) for i in range(n)}
    return graph, list(graph), dask


def chain(n: int) -> tuple[dict, list, dict]:
    graph, dask = {("t", 0): Task(noop)}, {("t", 0): (noop,)}
    for i in range(1, n):
        graph[("t", i)] = Task(noop, Ref(("t", i - 1)))
        dask[("t", i)] = (noop, ("t", i - 1))
    return graph, [("t", n - 1)], dask


def tree(n: int, split_every: int = 8) -> tuple[dict, list, dict]:
    graph = {("leaf", i): Task(noop) for i in range(n)}
    dask = {("leaf", i): (noop,) for i in range(n)}
    level, depth = list(graph), 0
    while len(level) > 1:
        depth += 1
        upper = []
        for start in range(0, len(level), split_every):
            key = ("sum", depth, start // split_every)
            inputs = level[start:start + split_every]
            graph[key] = Task(noop, *[Ref(k) for k in inputs])
            dask[key] = (noop, *inputs)
            upper.append(key)
        level = upper
    return graph, level, dask


SHAPES: dict[str, Callable[[int], tuple[dict, list, dict]]] = {
    "independent": independent, "chain": chain, "tree": tree,
}


def best_per_task(run: Callable[[], object], tasks: int, repeat: int) -> float:
    """Best wall time of ``repeat`` runs, in microseconds per task."""
    run()  # warm up: thread pools, imports, caches
    best = min(_timed(run) for _ in range(repeat))
    return best / tasks * 1e6


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def runners(graph: dict, keys: list, dask_graph: dict) -> dict[str, Callable[[], object]]:
    sync, threads = SyncExecutor(), ThreadExecutor()
    out = {
        "kyudo sync": lambda: sync.execute(graph, keys),
        "kyudo threads": lambda: threads.execute(graph, keys),
    }
    try:
        import dask.threaded
    except ImportError:
        return out
    out["dask threaded"] = lambda: dask.threaded.get(dask_graph, keys)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks per graph (about)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; best is kept")
    args = parser.parse_args(argv)

    print(f"µs per trivial task, best of {args.repeat} (lower is better)")
    header = None
    for shape, build in SHAPES.items():
        graph, keys, dask_graph = build(args.tasks)
        figures = {name: best_per_task(run, len(graph), args.repeat)
                   for name, run in runners(graph, keys, dask_graph).items()}
        if header is None:
            header = list(figures)
            print(f"{'shape':<12} {'tasks':>7} " + " ".join(f"{name:>14}" for name in header))
        print(f"{shape:<12} {len(graph):>7} " + " ".join(f"{figures[n]:>14.1f}" for n in header))


if __name__ == "__main__":
    main()
