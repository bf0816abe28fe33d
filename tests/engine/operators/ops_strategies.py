"""Hypothesis strategies shared by the operator tests: small Arrow tables with
NULLs, unicode strings, dates, timestamps and decimals, drawn from narrow value
ranges so that groups, join matches and sort ties actually happen."""
from __future__ import annotations

import datetime
import decimal

import pyarrow as pa
from hypothesis import strategies as st

TYPES = {
    "int": pa.int64(),
    "float": pa.float64(),
    "nanfloat": pa.float64(),
    "str": pa.string(),
    "date": pa.date32(),
    "ts": pa.timestamp("us"),
    "dec": pa.decimal128(12, 2),
    "bool": pa.bool_(),
}

_VALUES = {
    "int": st.integers(-3, 3),
    "float": st.sampled_from([-2.5, -0.0, 0.0, 1.0, 1e6, 3.25]) | st.floats(-1e3, 1e3, allow_nan=False),
    "nanfloat": st.sampled_from([float("nan"), -float("nan"), -1.5, -0.0, 0.0, 2.0]),
    "str": st.text(alphabet="aZé√😀", max_size=3),
    "date": st.dates(datetime.date(1969, 12, 30), datetime.date(1970, 1, 3)),
    "ts": st.datetimes(datetime.datetime(2000, 1, 1), datetime.datetime(2000, 1, 1, 0, 0, 3)),
    "dec": st.decimals(-5, 5, places=2, allow_nan=False, allow_infinity=False).map(decimal.Decimal),
    "bool": st.booleans(),
}


def column(kind: str, n: int):
    """A list of ``n`` values of ``kind``, some of them None."""
    return st.lists(st.none() | _VALUES[kind], min_size=n, max_size=n)


@st.composite
def tables(draw, kinds: dict[str, str], max_rows: int = 30, min_rows: int = 0) -> pa.Table:
    """A table with one column per ``name -> kind``."""
    n = draw(st.integers(min_rows, max_rows))
    return pa.table({name: pa.array(draw(column(kind, n)), type=TYPES[kind]) for name, kind in kinds.items()})


@st.composite
def partitions(draw, table: pa.Table, max_parts: int = 5) -> list[pa.Table]:
    """Consecutive slices covering ``table`` in order, empty slices included."""
    cuts = sorted(draw(st.lists(st.integers(0, table.num_rows), max_size=max_parts - 1)))
    bounds = [0, *cuts, table.num_rows]
    return [table.slice(a, b - a) for a, b in zip(bounds, bounds[1:])]


def comparable(table: pa.Table) -> list[tuple]:
    """Rows as tuples in which every NaN is the string "NaN" (NaN != NaN would
    make equal results compare unequal)."""
    return [tuple("NaN" if isinstance(v, float) and v != v else v for v in row.values()) for row in table.to_pylist()]
