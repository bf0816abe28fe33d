"""OVER clauses as Window nodes: one node per distinct (PARTITION BY, ORDER BY)."""
from __future__ import annotations

from sqlglot import exp

from kyudo.planner.specs import SortKey
from kyudo.planner.specs import WindowFrame, WindowFunction
from kyudo.sql.errors import UnsupportedSQLError
from kyudo.sql.translate.aggregates import aggregate_argument, aggregate_spec

_RANKING = {exp.RowNumber: "row_number", exp.Rank: "rank", exp.DenseRank: "dense_rank",
            exp.PercentRank: "percent_rank", exp.CumeDist: "cume_dist", exp.Ntile: "ntile"}
_VALUE = {exp.Lag: "lag", exp.Lead: "lead", exp.FirstValue: "first_value",
          exp.LastValue: "last_value", exp.NthValue: "nth_value"}


def find_windows(nodes) -> list[exp.Window]:
    found = []
    for n in nodes:
        if n is None:
            continue
        for w in n.find_all(exp.Window):
            if not any(isinstance(p, (exp.Subquery, exp.Exists)) for p in _parents(w, n)):
                found.append(w)
    return found


def _parents(node, root):
    while node is not root and node is not None:
        node = node.parent
        yield node


def window_function(node: exp.Window, output: str, column_of, constant_of) -> WindowFunction:
    """The WindowFunction of ``node``; ``column_of(expr_node)`` gives the plan column
    holding an argument, ``constant_of(node)`` a literal's value."""
    fn = node.this
    if node.args.get("alias") is not None:
        raise UnsupportedSQLError(f"{node.sql()}: named windows are not supported")
    if isinstance(fn, exp.IgnoreNulls) or isinstance(fn, exp.RespectNulls):
        raise UnsupportedSQLError(f"{node.sql()}: IGNORE/RESPECT NULLS is not supported")
    frame = _frame(node.args.get("spec"))
    for cls, name in _RANKING.items():
        if type(fn) is cls:
            options = (("n", constant_of(fn.this)),) if name == "ntile" else ()
            return WindowFunction(output, name, None, options)
    for cls, name in _VALUE.items():
        if type(fn) is cls:
            options = []
            if name in ("lag", "lead"):
                offset = fn.args.get("offset")
                default = fn.args.get("default")
                options.append(("offset", constant_of(offset) if offset is not None else 1))
                if default is not None:
                    options.append(("default", constant_of(default)))
            if name == "nth_value":
                options.append(("n", constant_of(fn.expression)))
            return WindowFunction(output, name, column_of(fn.this), tuple(options), frame)
    if isinstance(fn, exp.AggFunc):
        argument = aggregate_argument(fn)
        spec = aggregate_spec(fn, output, column_of(argument) if argument is not None else None)
        if spec.func == "count_distinct":
            raise UnsupportedSQLError(f"{node.sql()}: COUNT(DISTINCT) OVER is not supported")
        return WindowFunction(output, spec.func, spec.column, spec.options, frame)
    raise UnsupportedSQLError(f"window function {fn.sql()} is not supported")


def sort_keys(order: exp.Order | None, column_of) -> tuple[SortKey, ...]:
    if order is None:
        return ()
    return tuple(SortKey(column_of(o.this), not o.args.get("desc"), bool(o.args.get("nulls_first")))
                 for o in order.expressions)


def _frame(spec: exp.WindowSpec | None) -> WindowFrame | None:
    if spec is None:
        return None
    kind = (spec.args.get("kind") or "range").lower()
    if kind not in ("rows", "range"):
        raise UnsupportedSQLError(f"window frame {kind.upper()} is not supported")
    if spec.args.get("exclude"):
        raise UnsupportedSQLError("window frame EXCLUDE is not supported")
    return WindowFrame(kind, _bound(spec.args.get("start"), spec.args.get("start_side")),
                       _bound(spec.args.get("end"), spec.args.get("end_side")))


def _bound(value, side) -> int | None:
    if value is None:
        return 0
    text = value if isinstance(value, str) else value.sql()
    if text.upper() == "UNBOUNDED":
        return None
    if text.upper() == "CURRENT ROW":
        return 0
    if not isinstance(value, exp.Literal) or value.is_string:
        raise UnsupportedSQLError(f"window frame bound {text} is not supported")
    n = int(value.this)
    return -n if (side or "").upper() == "PRECEDING" else n

