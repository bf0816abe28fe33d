"""Graph builders shared by the engine tests (a uniquely named module, so it
cannot be confused with another directory's conftest)."""
from __future__ import annotations

from kyudo.engine import Ref, Task


def add(*values):
    return sum(values)


def tree_reduction(leaves: int, split_every: int = 8, leaf=lambda i: i, combine=add):
    """A sum tree: ``("leaf", i)`` tasks reduced ``split_every`` at a time up to
    one root, as a planner builds for ``df.x.sum()`` over ``leaves`` partitions.
    Returns ``(graph, root_key)``."""
    graph = {("leaf", i): Task(leaf, i) for i in range(leaves)}
    level = [("leaf", i) for i in range(leaves)]
    depth = 0
    while len(level) > 1:
        depth += 1
        upper = []
        for start in range(0, len(level), split_every):
            key = ("sum", depth, start // split_every)
            graph[key] = Task(combine, *[Ref(k) for k in level[start:start + split_every]])
            upper.append(key)
        level = upper
    return graph, level[0]



def two_reductions(leaves: int, split_every: int = 8, leaf=lambda i: i, combine=add):
    """Two reduction trees over the same leaves (as for ``df.x.sum()`` and
    ``df.x.count()`` computed together), joined under ``"both"``: every leaf has two
    consumers. Partial results are ``("sum", ...)`` and ``("count", ...)``.
    Returns ``(graph, "both")``."""
    graph, sum_root = tree_reduction(leaves, split_every, leaf, combine)

    def count_key(key):
        return ("count",) + key[1:] if key[0] == "sum" else key

    for key, task in list(graph.items()):
        if key[0] == "sum":
            graph[count_key(key)] = Task(combine, *[Ref(count_key(ref.key)) for ref in task.args])
    graph["both"] = Task(combine, Ref(sum_root), Ref(count_key(sum_root)))
    return graph, "both"
