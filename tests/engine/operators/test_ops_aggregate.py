"""partial -> combine (any tree shape) -> finalize must equal pandas' groupby on
the whole table, whatever the partitioning."""
from __future__ import annotations

import datetime
import decimal
import math

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.engine.operators.aggregate import AggSpec, combine_partials, finalize_aggregate, partial_aggregate
from ops_strategies import partitions, tables

VALUE_KINDS = {"f": "float", "i": "int", "s": "str", "d": "date", "t": "ts", "m": "dec", "b": "bool"}

# func -> (columns it is tested on, oracle over one group's pandas Series)
ORACLES = {
    "sum": ("fim", lambda s, o: s.sum(min_count=o.get("min_count", 0))),
    "mean": ("fi", lambda s, o: s.mean()),
    "count": ("fsdtmb", lambda s, o: s.count()),
    "size": ("f", lambda s, o: len(s)),
    "min": ("fisdtm", lambda s, o: s.dropna().min() if s.count() else None),
    "max": ("fisdtm", lambda s, o: s.dropna().max() if s.count() else None),
    "var": ("fi", lambda s, o: s.var(ddof=o.get("ddof", 1))),
    "std": ("fi", lambda s, o: s.std(ddof=o.get("ddof", 1))),
    "first": ("fsdtmb", lambda s, o: s.dropna().iloc[0] if s.count() else None),
    "last": ("fsdtmb", lambda s, o: s.dropna().iloc[-1] if s.count() else None),
    "count_distinct": ("fisdtb", lambda s, o: s.nunique()),
    "any": ("bi", lambda s, o: bool(s.dropna().astype(bool).any())),
    "all": ("bi", lambda s, o: bool(s.dropna().astype(bool).all())),
}

OPTIONS = {"sum": [(), (("min_count", 1),)], "var": [(), (("ddof", 0),)], "std": [(), (("ddof", 2),)]}


@st.composite
def spec_lists(draw):
    specs = []
    for i, func in enumerate(draw(st.lists(st.sampled_from(sorted(ORACLES)), min_size=1, max_size=6))):
        col = draw(st.sampled_from(ORACLES[func][0]))
        options = draw(st.sampled_from(OPTIONS.get(func, [()])))
        specs.append(AggSpec(f"out{i}", func, col, options))
    return specs


def reduce_tree(partials, keys, specs, fan_ins):
    """Combine consecutive runs of partials, with fan-in drawn per level, until one is left."""
    level = 0
    while len(partials) > 1:
        fan_in = fan_ins[level % len(fan_ins)]
        partials = [combine_partials(partials[i:i + fan_in], keys, specs) for i in range(0, len(partials), fan_in)]
        level += 1
    return combine_partials(partials, keys, specs)


def _normal(value):
    """One representation for a value from Arrow or from pandas."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, decimal.Decimal):
        return float(value)
    if hasattr(value, "item"):
        return value.item()
    return value


def _close(got, want):
    got, want = _normal(got), _normal(want)
    if isinstance(want, float) or isinstance(got, float):
        return got is not None and want is not None and math.isclose(got, want, rel_tol=1e-7, abs_tol=1e-6)
    return got == want


def expected(table: pa.Table, keys: list[str], specs: list[AggSpec]) -> dict:
    frame = table.to_pandas()
    groups = [((), frame)] if not keys else frame.groupby(keys, dropna=False, sort=False)
    result = {}
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        result[tuple(_normal(k) for k in key)] = [ORACLES[s.func][1](group[s.column], dict(s.options)) for s in specs]
    return result


@settings(max_examples=120, deadline=None)
@given(data=st.data(), specs=spec_lists(), keys=st.sampled_from([[], ["k1"], ["k1", "k2"], ["k2"], ["k3", "k1"]]))
def test_tree_reduction_matches_pandas_groupby(data, specs, keys):
    table = data.draw(tables({"k1": "int", "k2": "str", "k3": "date", **VALUE_KINDS}))
    parts = data.draw(partitions(table))
    fan_ins = data.draw(st.lists(st.integers(2, 4), min_size=1, max_size=3))
    partials = [partial_aggregate(p, keys, specs) for p in parts]
    result = finalize_aggregate(reduce_tree(partials, keys, specs, fan_ins), keys, specs, table.schema)

    assert result.column_names == keys + [s.output for s in specs]
    want = expected(table, keys, specs)
    if not keys and table.num_rows == 0:
        want = {(): [ORACLES[s.func][1](pd.Series([], dtype=float), dict(s.options)) for s in specs]}
    got = {tuple(_normal(v) for v in row[: len(keys)]): row[len(keys):] for row in zip(*result.to_pydict().values())}
    assert got.keys() == want.keys()
    for key, values in want.items():
        for spec, w, g in zip(specs, values, got[key]):
            assert _close(g, w), (spec, key, g, w)


def test_groups_come_out_in_first_appearance_order_with_null_key_group():
    table = pa.table({"k": ["b", None, "a", "b", None], "v": [1, 2, 3, 4, 5]})
    specs = [AggSpec("s", "sum", "v")]
    result = finalize_aggregate(partial_aggregate(table, ["k"], specs), ["k"], specs, table.schema)
    assert result.to_pydict() == {"k": ["b", None, "a"], "s": [5, 7, 3]}


def test_first_last_follow_partition_order_not_tree_shape():
    table = pa.table({"k": [1] * 6, "v": [None, 10, 20, 30, 40, None]})
    specs = [AggSpec("f", "first", "v"), AggSpec("l", "last", "v")]
    parts = [partial_aggregate(table.slice(i, 1), ["k"], specs) for i in range(6)]
    halves = [combine_partials(parts[:3], ["k"], specs), combine_partials(parts[3:], ["k"], specs)]
    nested = combine_partials(halves, ["k"], specs)
    result = finalize_aggregate(nested, ["k"], specs, table.schema)
    assert result.to_pydict() == {"k": [1], "f": [10], "l": [40]}


def test_result_types_follow_pandas():
    table = pa.table({
        "i": pa.array([1, 2], pa.int64()),
        "i32": pa.array([1, 2], pa.int32()),
        "f32": pa.array([1.5, 2.0], pa.float32()),
        "m": pa.array([decimal.Decimal("1.25"), None], pa.decimal128(10, 2)),
        "b": [True, True],
    })
    specs = [AggSpec("si", "sum", "i"), AggSpec("si32", "sum", "i32"), AggSpec("sf32", "sum", "f32"),
             AggSpec("sm", "sum", "m"), AggSpec("sb", "sum", "b"), AggSpec("mi", "mean", "i"),
             AggSpec("c", "count", "m"), AggSpec("n", "size", None), AggSpec("v", "var", "i")]
    result = finalize_aggregate(partial_aggregate(table, [], specs), [], specs, table.schema)
    types = dict(zip(result.column_names, result.schema.types))
    assert types["si"] == types["si32"] == types["sb"] == pa.int64()
    assert types["sf32"] == pa.float32()
    assert pa.types.is_decimal(types["sm"]) and types["sm"].scale == 2
    assert types["mi"] == types["v"] == pa.float64()
    assert types["c"] == types["n"] == pa.int64()
    assert result.to_pydict()["sm"] == [decimal.Decimal("1.25")] and result.to_pydict()["sb"] == [2]


@pytest.mark.parametrize("min_count, want", [(0, 0), (1, None)])
def test_global_aggregate_of_empty_input_is_one_row(min_count, want):
    table = pa.table({"v": pa.array([], pa.int64()), "d": pa.array([], pa.date32())})
    specs = [AggSpec("s", "sum", "v", (("min_count", min_count),)), AggSpec("c", "count", "v"),
             AggSpec("n", "size", None), AggSpec("lo", "min", "d"), AggSpec("u", "count_distinct", "d")]
    states = combine_partials([partial_aggregate(table, [], specs)], [], specs)
    result = finalize_aggregate(states, [], specs, table.schema)
    assert result.to_pylist() == [{"s": want, "c": 0, "n": 0, "lo": None, "u": 0}]
    assert result.schema.field("lo").type == pa.date32()


def test_all_null_group_sum_obeys_min_count_and_empty_grouped_input_has_no_rows():
    table = pa.table({"k": [1, 1], "v": pa.array([None, None], pa.float64())})
    specs = [AggSpec("pandas", "sum", "v"), AggSpec("sql", "sum", "v", (("min_count", 1),))]
    result = finalize_aggregate(partial_aggregate(table, ["k"], specs), ["k"], specs, table.schema)
    assert result.to_pylist() == [{"k": 1, "pandas": 0.0, "sql": None}]
    empty = finalize_aggregate(partial_aggregate(table.slice(0, 0), ["k"], specs), ["k"], specs, table.schema)
    assert empty.num_rows == 0 and empty.column_names == ["k", "pandas", "sql"]


def test_variance_merge_is_stable_for_large_offsets():
    values = [1e9 + x for x in (4.0, 7.0, 13.0, 16.0)]
    table = pa.table({"v": values})
    specs = [AggSpec("v", "var", "v")]
    parts = [partial_aggregate(table.slice(i, 1), [], specs) for i in range(4)]
    result = finalize_aggregate(combine_partials(parts, [], specs), [], specs, table.schema)
    assert result["v"][0].as_py() == pytest.approx(30.0, rel=1e-9)


def test_min_max_of_timestamps_and_unicode():
    table = pa.table({
        "t": pa.array([datetime.datetime(2000, 1, 2), None, datetime.datetime(1999, 5, 1)], pa.timestamp("us")),
        "s": ["é", "😀", "a"],
    })
    specs = [AggSpec("tmin", "min", "t"), AggSpec("smax", "max", "s")]
    result = finalize_aggregate(partial_aggregate(table, [], specs), [], specs, table.schema)
    assert result.to_pylist() == [{"tmin": datetime.datetime(1999, 5, 1), "smax": "😀"}]


def test_unknown_function_is_rejected():
    with pytest.raises(ValueError, match="median"):
        partial_aggregate(pa.table({"v": [1]}), [], [AggSpec("x", "median", "v")])


def test_partials_and_combined_states_can_be_merged_together():
    table = pa.table({"k": ["x", "y", "x", None], "v": [1.0, None, 3.0, 4.0], "s": ["a", "b", "a", "c"]})
    specs = [AggSpec("u", "count_distinct", "s"), AggSpec("sd", "std", "v"), AggSpec("f", "last", "v"),
             AggSpec("m", "mean", "v")]
    first = combine_partials([partial_aggregate(table.slice(0, 2), ["k"], specs)], ["k"], specs)
    second = partial_aggregate(table.slice(2), ["k"], specs)
    assert first.schema == second.schema
    result = finalize_aggregate(combine_partials([first, second], ["k"], specs), ["k"], specs, table.schema)
    assert result.to_pydict() == {"k": ["x", "y", None], "u": [1, 1, 1], "sd": [2 ** 0.5, None, None],
                                  "f": [3.0, None, 4.0], "m": [2.0, None, 4.0]}


def test_dictionary_and_null_typed_columns_aggregate_like_plain_ones():
    table = pa.table({"k": pa.array(["a", "b", None, "a"]).dictionary_encode(), "n": pa.nulls(4)})
    specs = [AggSpec("lo", "min", "k"), AggSpec("hi", "max", "k"), AggSpec("u", "count_distinct", "n"),
             AggSpec("c", "count", "n"), AggSpec("s", "sum", "n")]
    result = finalize_aggregate(partial_aggregate(table, [], specs), [], specs, table.schema)
    assert result.to_pylist() == [{"lo": "a", "hi": "b", "u": 0, "c": 0, "s": 0}]


def test_variance_with_infinity_is_nan_like_pandas():
    table = pa.table({"k": [1, 1, 1, 2], "v": [1.0, float("inf"), None, 2.0]})
    specs = [AggSpec("var", "var", "v"), AggSpec("std", "std", "v")]
    parts = [partial_aggregate(table.slice(i, 2), ["k"], specs) for i in (0, 2)]
    result = finalize_aggregate(combine_partials(parts, ["k"], specs), ["k"], specs, table.schema).to_pydict()
    assert math.isnan(result["var"][0]) and math.isnan(result["std"][0])
    assert result["var"][1] is None


def test_count_distinct_counts_values_not_bit_patterns():
    table = pa.table({"f": [-0.0, 0.0, float("nan"), None],
                      "c": pa.array(["x", "y", "x", None]).dictionary_encode()})
    specs = [AggSpec("nf", "count_distinct", "f"), AggSpec("nc", "count_distinct", "c")]
    out = finalize_aggregate(partial_aggregate(table, [], specs), [], specs, table.schema)
    assert out.to_pylist() == [{"nf": 2, "nc": 2}]


def test_global_aggregate_without_aggregates_still_has_one_row():
    table = pa.table({"x": [1, 2]})
    partial = partial_aggregate(table, [], [])
    assert finalize_aggregate(combine_partials([partial, partial], [], []), [], [], table.schema).num_rows == 1
    empty = table.slice(0, 0)
    assert finalize_aggregate(partial_aggregate(empty, [], []), [], [], table.schema).num_rows == 1
