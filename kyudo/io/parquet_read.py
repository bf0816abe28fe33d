"""Reading the rows of some row groups of one Parquet file that pass a filter.

Two ways, chosen per read from the footer:

* No dictionary-encoded string column is involved, no column is paged (below)
  and no term has a row mask: pyarrow's reader reads the columns and applies
  the whole filter while decoding.
* Otherwise the columns are read
  without the filter (dictionary columns as dictionaries), each term becomes a
  mask (on the dictionary for a term on one dictionary column, see
  ``parquet_dictionary``), the rows are filtered once, and the dictionaries
  are decoded last.  Cutting the rows once beats pyarrow's own filter, which
  runs an Acero plan: 29 ms against 68 ms of CPU for a partition of TPC-H
  Q12's lineitem.

Fixed-width columns of local files are "paged": decoded by ``parquet_pages``,
which decompresses Snappy pages twice as fast as pyarrow's reader; the other
columns are read by pyarrow beside them.

Row groups were already pruned by their statistics when the plan was made
(``ParquetSource.prune``), so both ways only filter rows.
"""

from __future__ import annotations

from typing import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from .floats import nan_to_null_columns
from .footers import Footer
from .parquet_dictionary import decode_dictionaries, dictionary_mask, dictionary_string_columns
from .parquet_pages import decodable_columns, read_columns
from .row_filter import Conjunct


def read_row_groups(
    footer: Footer,
    row_groups: Sequence[int],
    schema: pa.Schema,
    names: Sequence[str],
    conjuncts: Sequence[Conjunct],
    keep_dictionaries: frozenset = frozenset(),
    nan_as_null: frozenset = frozenset(),
) -> pa.Table:
    """``names`` of ``row_groups`` of ``footer``'s file where every conjunct holds.

    ``schema`` is the dataset's.  Conjuncts come with the columns they read
    (``None`` when unknown) and maybe a row mask.  Columns come back with the
    file's types (the caller casts), except that string columns of
    ``keep_dictionaries`` read as dictionaries stay dictionaries, and float
    columns of ``nan_as_null`` have NULL where the file has NaN.  The
    conjuncts may see those columns either way (NaN or NULL): the caller only
    asks for it where both keep the same rows.
    """
    fragment = footer.fragment
    filter_columns = _columns_of(conjuncts)
    wanted = [*names, *sorted(filter_columns - set(names))]
    encoded = dictionary_string_columns(
        fragment.metadata, row_groups, wanted, fragment.physical_schema, schema,
    )
    # Terms whose columns are unknown need pyarrow's reader to read every column.
    paged = [] if any(c.columns is None for c in conjuncts) else decodable_columns(
        footer, row_groups, wanted, schema)
    if encoded or paged or any(c.row_mask is not None for c in conjuncts):
        return _read_then_filter(footer, row_groups, schema, names, conjuncts, frozenset(encoded),
                                 keep_dictionaries, frozenset(paged), nan_as_null)
    unknown = any(c.columns is None for c in conjuncts)
    read = fragment.subset(row_group_ids=list(row_groups))
    table = read.to_table(
        columns=list(names), filter=_conjoin([c.expression for c in conjuncts]),
        **_schema_if_needed(fragment.physical_schema, schema, [*names, *filter_columns], unknown),
    )
    return nan_to_null_columns(table, nan_as_null)


def _read_then_filter(footer, row_groups, schema, names, conjuncts, encoded,
                      keep_dictionaries: frozenset = frozenset(), paged: frozenset = frozenset(),
                      nan_as_null: frozenset = frozenset()) -> pa.Table:
    """Read the columns, compute the terms as masks on them, and filter once.

    * A term on one dictionary column is answered per distinct value.
    * A term with a row mask that reads only fixed-width columns (numbers,
      dates) is computed on every row: 4 ms for four date comparisons on 1.8M
      rows, where cutting the table first by the other masks costs 17 ms.
    * Other terms (string functions, several dictionary columns, terms without
      a row mask) run last, on the rows the masks above leave, since their cost
      grows with the bytes they read.
    * Terms whose columns are unknown (the source's own filter) run inside
      pyarrow's reader, which knows how to read what they need; so do terms
      without a row mask when nothing runs before them, unless some columns
      are ``paged``: read by ``parquet_pages``, beside pyarrow's reader, which
      then must not drop rows.
    """
    on_dictionary, early, late = [], [], []
    for c in conjuncts:
        if c.columns is not None and len(c.columns) == 1 and c.columns <= encoded:
            on_dictionary.append(c)
        elif c.row_mask is not None and not c.columns & encoded and all(
                _fixed_width(schema.field(n).type) for n in c.columns):
            early.append(c)
        else:
            late.append(c)
    if paged:
        in_reader = []  # the caller read no paged column if a term's columns are unknown
    elif not (on_dictionary or early):
        in_reader = [c for c in late if c.columns is None or (c.row_mask is None and not c.columns & encoded)]
        late = [c for c in late if not any(c is r for r in in_reader)]
    else:
        in_reader = [c for c in late if c.columns is None]
        late = [c for c in late if c.columns is not None]
    wanted = set(names).union(*(c.columns for c in [*on_dictionary, *early, *late]))
    read_columns = [n for n in schema.names if n in wanted]
    table = _read(footer, row_groups, schema, read_columns, encoded, paged, in_reader, nan_as_null)
    decode = encoded.intersection(names) - keep_dictionaries
    if not table.num_rows:
        return decode_dictionaries(table.select(list(names)), decode)
    mask = None
    if on_dictionary:
        mask, failed = dictionary_mask(table, [(c.expression, next(iter(c.columns))) for c in on_dictionary])
        late += [Conjunct(e, frozenset([name])) for e, name in failed]
        if early and mask is not None and (pc.sum(mask).as_py() or 0) < _CUT_FIRST_BELOW * table.num_rows:
            table = _cut(table, mask)
            mask = None
    for c in early:
        mask = _and(mask, c.row_mask(table))
    if late:
        table = _cut(table, mask)
        mask = None
        table = decode_dictionaries(table, frozenset().union(*(c.columns & encoded for c in late)))
        for c in late:
            if c.row_mask is not None:
                mask = _and(mask, c.row_mask(table))
        table = _cut(table, mask)
        mask = None
        by_expression = [c.expression for c in late if c.row_mask is None]
        if by_expression:
            table = table.filter(_conjoin(by_expression))
    table = _cut(table.select(list(names)), mask)
    return decode_dictionaries(table, decode)


def _read(footer, row_groups, schema, columns, encoded, paged, in_reader, nan_as_null) -> pa.Table:
    """``columns`` of the row groups: the ``paged`` ones by ``parquet_pages``,
    the others (and any it could not read) by pyarrow, with ``encoded`` as
    dictionaries and the ``in_reader`` terms applied (only when none is paged),
    and NaN read as NULL in the float columns of ``nan_as_null``."""
    pages = read_columns(footer, row_groups, sorted(paged & set(columns)), nan_as_null) if paged else {}
    rest = [n for n in columns if n not in pages]
    if pages and not rest:
        return pa.table(pages)
    subset = footer.dictionary_fragment(encoded).subset(row_group_ids=list(row_groups))
    table = subset.to_table(
        columns=rest, filter=_conjoin([c.expression for c in in_reader]),
        **_schema_if_needed(footer.schema, schema,
                            [*rest, *_columns_of(in_reader)],
                            any(c.columns is None for c in in_reader), encoded),
    )
    table = nan_to_null_columns(table, nan_as_null.intersection(rest))
    if not pages:
        return table
    return pa.table({n: pages[n] if n in pages else table[n] for n in columns})


# Dictionary terms that keep less than this share of the rows cut the table
# before the fixed-width terms run: Q19's ship mode and instruction keep 1/14
# of lineitem, and its three quantity ranges then run on that.
_CUT_FIRST_BELOW = 0.25


def _fixed_width(kind: pa.DataType) -> bool:
    return pa.types.is_primitive(kind) or pa.types.is_decimal(kind)


def _and(mask, other):
    """Two row masks ANDed (NULL where either is NULL: the row is dropped either way)."""
    if other.type != pa.bool_():
        other = other.cast(pa.bool_())
    return other if mask is None else pc.and_(mask, other)


def _cut(table: pa.Table, mask) -> pa.Table:
    return table if mask is None else table.filter(mask, null_selection_behavior="drop")


def _schema_if_needed(file_schema: pa.Schema, schema: pa.Schema, names, unknown_columns: bool,
                      encoded: frozenset = frozenset()) -> dict:
    """``schema=`` for the read only when the file differs from the dataset on
    ``names`` (a column missing, another type, a hive column) or a filter reads
    unknown columns: an explicit schema makes pyarrow project every batch,
    which costs up to a third of a read."""
    if not unknown_columns and all(
        n in file_schema.names and file_schema.field(n).type == schema.field(n).type for n in names
    ):
        return {}
    return {"schema": pa.schema([
        f.with_type(pa.dictionary(pa.int32(), f.type)) if f.name in encoded else f for f in schema
    ])}


def _columns_of(terms) -> set[str]:
    return set().union(*(c.columns or () for c in terms))


def _conjoin(expressions: list[pc.Expression]) -> pc.Expression | None:
    if not expressions:
        return None
    combined = expressions[0]
    for expr in expressions[1:]:
        combined = combined & expr
    return combined
