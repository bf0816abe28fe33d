"""The compiled grouping (kyudo.engine.operators.group_ids) must give exactly what
the Acero path gives: same groups in the same order, same state and result types,
same values bit for bit (NaN, -0.0, NULL), in every phase."""
from __future__ import annotations

import datetime
import decimal
import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.engine.operators import aggregate
from kyudo.engine.operators.aggregate import AggSpec, combine_partials, finalize_aggregate, partial_aggregate
from kyudo.engine.operators.group_ids import group_ids
from ops_strategies import partitions

WIDE = [-(2**62), 2**62, -1, 0, 7, 12_345_678_901, 2**40 + 3]

# kind -> (Arrow type, values); narrow ranges so groups repeat, "wide" ones so the
# hash table (not the direct lookup) and the pairwise combination of keys run
KINDS = {
    "i64": (pa.int64(), st.integers(-3, 3)),
    "wide": (pa.int64(), st.sampled_from(WIDE)),
    "i32": (pa.int32(), st.integers(-2, 2)),
    "i8": (pa.int8(), st.integers(-128, 127)),
    "u32": (pa.uint32(), st.integers(0, 4_000_000_000)),
    "u64": (pa.uint64(), st.sampled_from([0, 1, 2**63, 2**64 - 1])),
    "f64": (pa.float64(), st.sampled_from([float("nan"), -0.0, 0.0, 1.5, -2.0, float("inf"), 1e150])),
    "f32": (pa.float32(), st.sampled_from([float("nan"), -0.0, 0.0, 0.1, -3.0])),
    "date": (pa.date32(), st.dates(datetime.date(1969, 12, 30), datetime.date(1970, 1, 2))),
    "ts": (pa.timestamp("ns"), st.datetimes(datetime.datetime(2000, 1, 1), datetime.datetime(2000, 1, 1, 0, 0, 2))),
    "bool": (pa.bool_(), st.booleans()),
    "str": (pa.string(), st.text(alphabet="ab√😀", max_size=2)),
    "dict": (pa.dictionary(pa.int8(), pa.string()), st.sampled_from(["x", "y", ""])),
    "dec": (pa.decimal128(10, 2), st.decimals(-5, 5, places=2, allow_nan=False, allow_infinity=False)),
}
KEY_KINDS = ["i64", "wide", "i32", "u64", "date", "ts", "bool", "str", "dict"]
FUNCS = {  # func -> value kinds it is tested on
    "sum": ["i64", "i32", "i8", "u32", "u64", "f64", "f32", "dec", "bool"],
    "mean": ["i64", "f64", "f32", "dec"],
    "count": ["f64", "str", "dec"],
    "size": [None],
    "min": ["i64", "i8", "u32", "u64", "f64", "f32", "date", "ts", "str", "dec"],
    "max": ["i64", "i8", "u32", "u64", "f64", "f32", "date", "ts", "str", "dec"],
    "first": ["f64", "str"],
    "last": ["i64", "date"],
    "var": ["f64"],
    "count_distinct": ["i64", "str"],
    "any": ["bool"],
    "prod": ["i64"],
}


def _column(draw, kind, n, nulls=True):
    arrow_type, values = KINDS[kind]
    drawn = draw(st.lists((st.none() | values) if nulls else values, min_size=n, max_size=n))
    if kind == "dict":
        return pa.array(drawn, pa.string()).dictionary_encode().cast(arrow_type)
    return pa.array(drawn, arrow_type)


@st.composite
def cases(draw, max_rows=40):
    n = draw(st.integers(0, max_rows))
    keys = draw(st.lists(st.sampled_from(KEY_KINDS), max_size=3, unique=True))
    columns = {f"k_{kind}": _column(draw, kind, n, draw(st.booleans())) for kind in keys}
    specs = []
    for i, func in enumerate(draw(st.lists(st.sampled_from(sorted(FUNCS)), min_size=1, max_size=5))):
        kind = draw(st.sampled_from(FUNCS[func]))
        name = None if kind is None else f"v_{kind}"
        if name is not None and name not in columns:
            columns[name] = _column(draw, kind, n)
        options = draw(st.sampled_from([(), (("min_count", 1),)])) if func == "sum" else ()
        specs.append(AggSpec(f"out{i}", func, name, options))
    table = pa.table(columns) if columns else pa.table({"_": pa.nulls(n)})
    return table, [f"k_{kind}" for kind in keys], specs


def _exact(table: pa.Table) -> list:
    """Rows where floats are spelled out bit for bit (NaN equal to NaN, -0.0 not
    0.0). Lists (count_distinct's sets of values) are compared as sets: Acero's
    order of distinct values within a group is its own."""
    def one(v):
        if isinstance(v, float):
            return "NaN" if math.isnan(v) else v.hex()
        if isinstance(v, list):
            return sorted((one(x) for x in v), key=repr)
        return v
    return [tuple(one(v) for v in row.values()) for row in table.to_pylist()]


def _equal_or_rounded(a, b) -> bool:
    """Equal spelled-out values, or two finite non-zero floats within rounding: a
    float sum over few groups adds its rows in interleaved partial sums, not in
    Acero's row order. Zeros, infinities and NaN must still match exactly."""
    if a == b:
        return True
    if not (isinstance(a, str) and isinstance(b, str) and a.startswith(("0x", "-0x")) and b.startswith(("0x", "-0x"))):
        return False
    x, y = float.fromhex(a), float.fromhex(b)
    return x != 0 and y != 0 and math.isfinite(x) and math.isfinite(y) and math.isclose(x, y, rel_tol=1e-12)


def _same(fast: pa.Table, slow: pa.Table, keys: list[str]):
    """Equal tables, groups compared regardless of order: Acero's group order is
    first appearance only for small inputs."""
    assert fast.schema == slow.schema
    by_key = lambda row: repr(row[:len(keys)])  # noqa: E731 - keys come first and are unique
    fast_rows, slow_rows = sorted(_exact(fast), key=by_key), sorted(_exact(slow), key=by_key)
    assert len(fast_rows) == len(slow_rows)
    for f, s in zip(fast_rows, slow_rows):
        assert len(f) == len(s) and all(map(_equal_or_rounded, f, s)), (f, s)


def _key_rows(table: pa.Table, keys: list[str]) -> list[tuple]:
    return list(zip(*(table[k].to_pylist() for k in keys))) if keys else [()] * table.num_rows


def _first_appearance(table: pa.Table, keys: list[str]) -> list[tuple]:
    return list(dict.fromkeys(_key_rows(table, keys)))


def _both(monkeypatch, run):
    monkeypatch.setattr(aggregate, "FAST_GROUPING", True)
    fast = run()
    monkeypatch.setattr(aggregate, "FAST_GROUPING", False)
    slow = run()
    monkeypatch.setattr(aggregate, "FAST_GROUPING", True)
    return fast, slow


@settings(max_examples=300, deadline=None)
@given(case=cases(), data=st.data())
def test_every_phase_equals_the_acero_path(case, data):
    table, keys, specs = case
    parts = data.draw(partitions(table))
    with pytest.MonkeyPatch.context() as mp:
        fast, slow = _both(mp, lambda: [partial_aggregate(p, keys, specs) for p in parts])
        for part, f, s in zip(parts, fast, slow):
            _same(f, s, keys)
            assert group_ids(part, keys) is not None  # every key kind here takes the compiled path
            assert _key_rows(f, keys) == _first_appearance(part, keys)
        # combine the same (Acero-made) partials both ways, then finalize both ways
        cf, cs = _both(mp, lambda: combine_partials(slow, keys, specs))
        _same(cf, cs, keys)
        assert _key_rows(cf, keys) == _first_appearance(pa.concat_tables(slow, promote_options="permissive"), keys)
        ff, fs = _both(mp, lambda: finalize_aggregate(cf, keys, specs, table.schema))
        _same(ff, fs, keys)
        if keys:
            assert _key_rows(ff, keys) == _key_rows(cf, keys)


def _reference_ids(rows: list[tuple]) -> tuple[list[int], list[int]]:
    seen: dict = {}
    gid, first = [], []
    for i, row in enumerate(rows):
        if row not in seen:
            seen[row] = len(seen)
            first.append(i)
        gid.append(seen[row])
    return gid, first


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_group_ids_number_groups_by_first_appearance(data):
    """Up to thousands of distinct keys, so the hash table grows several times;
    wide and NULL keys, several keys whose ranges cannot be packed into 62 bits."""
    n = data.draw(st.integers(0, 3000))
    kinds = data.draw(st.lists(st.sampled_from(["spread", "wide", "i32", "str"]), min_size=1, max_size=3))
    columns = {}
    for i, kind in enumerate(kinds):
        seed = data.draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(seed)
        distinct = data.draw(st.sampled_from([1, 3, 50, 4000]))
        if kind == "spread":  # far apart: no direct lookup
            pool = rng.integers(-(2**62), 2**62, distinct, dtype=np.int64)
        elif kind == "wide":
            pool = np.array(WIDE, np.int64)
        elif kind == "i32":
            pool = rng.integers(-(2**31), 2**31, distinct, dtype=np.int64).astype(np.int32)
        elif kind == "str":  # at most 7 bytes: grouped as integers
            pool = np.array([f"s{j}" for j in range(distinct)], object)
        else:  # longer: grouped by hashing the bytes
            pool = np.array([f"long string {j}" for j in range(distinct)] + ["", "a"], object)
        values = pool[rng.integers(0, len(pool), n)]
        mask = rng.random(n) < data.draw(st.sampled_from([0.0, 0.1, 1.0]))
        columns[f"c{i}"] = pa.array(values, mask=mask, type=pa.string() if kind in ("str", "long") else None)
    table = pa.table(columns) if n else pa.table({k: v.slice(0, 0) for k, v in columns.items()})
    gid, first = group_ids(table, list(columns))
    want_gid, want_first = _reference_ids(list(zip(*(table[k].to_pylist() for k in columns))))
    assert gid.tolist() == want_gid
    assert first.tolist() == want_first


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_group_ids_along_a_sorted_key_number_groups_by_first_appearance(data):
    """One integer key sorted ascending (the order lineitem is stored in), alone
    or with other integer keys, NULLs among them: groups are found run by run
    of the sorted key, or by hashing when a run holds too many distinct values."""
    from kyudo.engine.operators import group_ids as module

    n = data.draw(st.integers(0, 400))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    lead = np.sort(rng.integers(0, data.draw(st.sampled_from([1, 5, 10**9])), n))
    columns = {"lead": pa.array(lead, pa.int64())}
    for i in range(data.draw(st.integers(0, 2))):  # none: the sorted key alone
        values = rng.integers(-3, data.draw(st.sampled_from([2, 100, 2**40])), n)
        mask = rng.random(n) < data.draw(st.sampled_from([0.0, 0.3]))
        narrow = values.max(initial=0) < 2**31 and data.draw(st.booleans())
        columns[f"k{i}"] = pa.array(values, mask=mask, type=pa.int32() if narrow else pa.int64())
    order = data.draw(st.permutations(list(columns)))
    table = pa.table(columns).select(order)
    taken = []
    real = module._run_ids
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "_MAX_RUN_DISTINCT", data.draw(st.sampled_from([1, 2, 64])))
        patch.setattr(module, "_run_ids", lambda *args: taken.append(1) or real(*args))
        gid, first = group_ids(table, list(order))
    want_gid, want_first = _reference_ids(list(zip(*(table[k].to_pylist() for k in order))))
    assert gid.tolist() == want_gid
    assert first.tolist() == want_first
    # With one other key the run-by-run path always applies (several others
    # must first pack into 62 bits).
    assert taken or n == 0 or len(columns) != 2


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_keys_determined_by_an_integer_key_group_as_acero_does(data):
    """An id with columns describing it (a float, a long string, a decimal) is
    grouped by the id when they are the same within each id, and by Acero when
    they are not (a value differing, a NULL against a value, -0.0 against 0.0,
    two NaNs of different bits): both ways give Acero's groups."""
    n = data.draw(st.integers(0, 300))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    ids = rng.integers(0, data.draw(st.sampled_from([1, 7, 1000])), n)
    id_mask = rng.random(n) < data.draw(st.sampled_from([0.0, 0.2]))
    floats = np.array([0.5, -0.0, 0.0, np.nan, np.float64(np.frombuffer(np.uint64(0x7FF8000000000001).tobytes(), np.float64)[0]), 1e300])
    described = {
        "f": floats[ids % len(floats)],
        "s": np.array([f"a long description number {i % 13}" for i in ids], object),
        "d": [decimal.Decimal(int(i) % 5) / 4 for i in ids],
    }
    columns = {"id": pa.array(ids, mask=id_mask)}
    for name in data.draw(st.lists(st.sampled_from(sorted(described)), min_size=1, max_size=3, unique=True)):
        values = list(described[name])
        if n and data.draw(st.booleans()):  # break the dependency at one row
            row = data.draw(st.integers(0, n - 1))
            values[row] = None if data.draw(st.booleans()) else values[(row + 1) % n]
        columns[name] = pa.array(values, type=pa.decimal128(10, 2) if name == "d" else None)
    table = pa.table(columns)
    keys = data.draw(st.permutations(list(columns)))
    specs = [AggSpec("n", "size", None), AggSpec("total", "sum", "id")]
    with pytest.MonkeyPatch.context() as mp:
        fast, slow = _both(mp, lambda: partial_aggregate(table, list(keys), specs))
    _same(fast, slow, list(keys))
    if group_ids(table, list(keys)) is not None:  # NaN spelled out: equal to itself
        spelled = [tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in row)
                   for row in _key_rows(table, list(keys))]
        assert [tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in row)
                for row in _key_rows(fast, list(keys))] == list(dict.fromkeys(spelled))


def test_groups_of_first_appearance_with_many_keys_and_null_group_first():
    table = pa.table({"k": pa.array([None, 5, 2**62, 5, None, -(2**62)], pa.int64()),
                      "v": [1.0, float("nan"), 2.0, 3.0, None, -0.0]})
    specs = [AggSpec("s", "sum", "v", (("min_count", 1),)), AggSpec("lo", "min", "v"), AggSpec("n", "size", None)]
    result = finalize_aggregate(partial_aggregate(table, ["k"], specs), ["k"], specs, table.schema).to_pydict()
    assert result["k"] == [None, 5, 2**62, -(2**62)]
    assert math.isnan(result["s"][1]) and result["s"][0] == 1.0 and result["s"][2:] == [2.0, -0.0]
    assert result["lo"] == [1.0, 3.0, 2.0, -0.0] and result["n"] == [2, 2, 1, 1]


def test_integer_sums_wrap_and_keep_arrow_types():
    table = pa.table({"k": [1, 1, 2], "i": pa.array([2**62, 2**62, -1], pa.int64()),
                      "u": pa.array([2**63, 2**63, 5], pa.uint64()), "b": [True, True, None]})
    specs = [AggSpec("i", "sum", "i"), AggSpec("u", "sum", "u"), AggSpec("b", "sum", "b")]
    result = finalize_aggregate(partial_aggregate(table, ["k"], specs), ["k"], specs, table.schema)
    assert result.schema.types[1:] == [pa.int64(), pa.uint64(), pa.int64()]
    assert result.to_pydict() == {"k": [1, 2], "i": [-(2**63), -1], "u": [0, 5], "b": [2, 0]}


def test_large_groups_and_chunked_inputs_match_acero(monkeypatch):
    rng = np.random.default_rng(1)
    n = 20_000
    keys = rng.integers(0, 5_000, n) * 1_000_003  # too wide for the direct lookup
    values = rng.standard_normal(n)
    values[rng.random(n) < 0.01] = np.nan
    chunks = [slice(0, 7_000), slice(7_000, 7_000), slice(7_000, n)]
    table = pa.table({
        "k": pa.chunked_array([keys[s] for s in chunks]),
        "s": pa.chunked_array([pa.array([f"g{x % 7}" for x in keys[s]], pa.string()) for s in chunks]),
        "l": pa.chunked_array([pa.array([f"a longer name {x % 1009}" for x in keys[s]], pa.large_string())
                               for s in chunks]),
        "v": pa.chunked_array([pa.array(values[s], mask=rng.random(s.stop - s.start) < 0.05) for s in chunks]),
    })
    specs = [AggSpec("s", "sum", "v"), AggSpec("m", "mean", "v"), AggSpec("lo", "min", "v"),
             AggSpec("hi", "max", "v"), AggSpec("c", "count", "v"), AggSpec("sd", "std", "v")]
    for keys_ in (["k"], ["s"], ["l"], ["s", "k"], ["l", "s"], []):
        fast, slow = _both(monkeypatch, lambda: finalize_aggregate(
            combine_partials([partial_aggregate(table.slice(a, 10_000), keys_, specs) for a in (0, 10_000)],
                             keys_, specs), keys_, specs, table.schema))
        _same(fast, slow, keys_)


def test_unsupported_keys_use_the_acero_path():
    table = pa.table({"f": [1.5, float("nan"), 1.5], "m": pa.array([decimal.Decimal(1)] * 3, pa.decimal128(5, 0))})
    assert group_ids(table, ["f"]) is None and group_ids(table, ["m"]) is None
    intervals = pa.table({"i": pa.array([pa.MonthDayNano([1, 2, 3])], pa.month_day_nano_interval())})
    assert group_ids(intervals, ["i"]) is None
    specs = [AggSpec("n", "size", None)]
    result = finalize_aggregate(partial_aggregate(table, ["f"], specs), ["f"], specs, table.schema)
    assert result.to_pydict()["n"] == [2, 1]


def test_long_strings_are_numbered_by_first_appearance_nulls_and_chunks_included():
    """Strings over 7 bytes go through Arrow's dictionary encoding; its indices
    must still be the order of first appearance, NULL a group of its own, and
    chunks with different values one numbering."""
    column = pa.chunked_array([["a longer string", None, "another long one"],
                               ["yet another string", "a longer string", None, "x"]])
    table = pa.table({"s": column, "v": list(range(7))})
    gid, first = group_ids(table, ["s"])
    assert gid.tolist() == [0, 1, 2, 3, 0, 1, 4] and first.tolist() == [0, 1, 2, 3, 6]
    many = pa.table({"s": [f"a longer string {i % 1000}" for i in range(5000)], "v": list(range(5000))})
    gid, first = group_ids(many, ["s"])
    assert gid.tolist() == [i % 1000 for i in range(5000)] and first.tolist() == list(range(1000))
    specs = [AggSpec("t", "sum", "v")]
    result = finalize_aggregate(partial_aggregate(many, ["s"], specs), ["s"], specs, many.schema)
    assert result.to_pylist()[:2] == [{"s": "a longer string 0", "t": sum(range(0, 5000, 1000))},
                                      {"s": "a longer string 1", "t": sum(range(1, 5000, 1000))}]


@settings(max_examples=60, deadline=None)
@given(ngroups=st.sampled_from([1, 3, 256, 257, 1000]), n=st.integers(0, 3000), seed=st.integers(0, 2**32 - 1),
       null_share=st.sampled_from([0.0, 0.3]))
def test_sums_and_counts_agree_with_numpy_for_few_and_many_groups(ngroups, n, seed, null_share):
    """Both ways :func:`_sum` adds (interleaved partial sums for few groups, one
    accumulator each for many): integer sums wrap exactly, float sums are within
    rounding of an exact sum, counts are exact."""
    from kyudo.engine.operators.group_ids import count_valid, size, sum_values

    rng = np.random.default_rng(seed)
    gid = np.sort(rng.integers(0, ngroups, n)).astype(np.int32) if seed % 2 else rng.integers(0, ngroups, n).astype(np.int32)
    valid = rng.random(n) >= null_share
    ints = rng.integers(-(2**62), 2**62, n)
    floats = rng.standard_normal(n) * 10.0 ** rng.integers(-3, 3, n)
    int_column = pa.chunked_array([pa.array(ints, mask=~valid)])
    float_column = pa.chunked_array([pa.array(floats, mask=~valid)])

    want_ints = np.zeros(ngroups, np.uint64)
    np.add.at(want_ints, gid[valid], ints[valid].view(np.uint64))
    assert sum_values(int_column, gid, ngroups).to_numpy().view(np.uint64).tolist() == want_ints.tolist()

    got = sum_values(float_column, gid, ngroups).to_numpy()
    for g in range(ngroups):
        members = floats[valid & (gid == g)]
        assert math.isclose(got[g], math.fsum(members), rel_tol=0, abs_tol=1e-12 * (np.abs(members).sum() + 1))

    assert count_valid(float_column, gid, ngroups).to_pylist() == np.bincount(gid[valid], minlength=ngroups).tolist()
    assert size(gid, ngroups).to_pylist() == np.bincount(gid, minlength=ngroups).tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.none() | st.sampled_from(["R", "A", "N", "", "é", "a longer value"]), max_size=8),
                max_size=4), st.booleans(), st.data())
def test_dictionary_strings_group_as_their_decoded_values(chunks, null_in_dictionary, data):
    """Chunks with dictionaries of their own (Parquet row groups), NULL indices,
    and a NULL among a dictionary's values: the same ids as the decoded strings."""
    arrays = []
    for values in chunks:
        dictionary = sorted({v for v in values if v is not None}, key=data.draw(st.sampled_from([str, len])))
        if null_in_dictionary:
            dictionary.append(None)
        # a NULL row is a NULL index or an index to the NULL value: one group either way
        indices = [dictionary.index(v) if v is not None else
                   len(dictionary) - 1 if null_in_dictionary and data.draw(st.booleans()) else None
                   for v in values]
        arrays.append(pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(dictionary, pa.string())))
    kind = pa.dictionary(pa.int32(), pa.string())
    encoded = pa.table({"k": pa.chunked_array(arrays, kind)})
    decoded = pa.table({"k": encoded["k"].cast(pa.string())})
    got, want = group_ids(encoded, ["k"]), group_ids(decoded, ["k"])
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
