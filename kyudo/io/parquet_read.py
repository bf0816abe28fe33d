"""Reading the rows of some row groups of one Parquet file that pass a filter.

Two ways, chosen per read from the footer:

* No dictionary-encoded string column is involved: pyarrow's reader reads the
  columns and applies the whole filter while decoding.
* Some are: those columns are read as dictionaries, the filter terms on one of
  them are answered on the dictionary (``parquet_dictionary``), the other terms
  run on the rows that are left, and the dictionaries are decoded last.

Row groups were already pruned by their statistics when the plan was made
(``ParquetSource.prune``), so both ways only filter rows.
"""

from __future__ import annotations

from typing import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from .footers import Footer
from .parquet_dictionary import decode_dictionaries, dictionary_mask, dictionary_string_columns

Conjuncts = Sequence[tuple[pc.Expression, "frozenset[str] | None"]]


def read_row_groups(
    footer: Footer,
    row_groups: Sequence[int],
    schema: pa.Schema,
    names: Sequence[str],
    conjuncts: Conjuncts,
) -> pa.Table:
    """``names`` of ``row_groups`` of ``footer``'s file where every conjunct holds.

    ``schema`` is the
    dataset's.  Conjuncts come with the columns they read, or ``None`` when
    unknown.  Columns come back with the file's types; the caller casts.
    """
    fragment = footer.fragment
    filter_columns = _columns_of(conjuncts)
    encoded = dictionary_string_columns(
        fragment.metadata, row_groups, [*names, *sorted(filter_columns - set(names))],
        fragment.physical_schema, schema,
    )
    if encoded:
        return _read_through_dictionaries(footer, row_groups, schema, names, conjuncts,
                                          frozenset(encoded))
    unknown = any(cols is None for _, cols in conjuncts)
    read = fragment.subset(row_group_ids=list(row_groups))
    return read.to_table(
        columns=list(names), filter=_conjoin([e for e, _ in conjuncts]),
        **_schema_if_needed(fragment.physical_schema, schema, [*names, *filter_columns], unknown),
    )


def _read_through_dictionaries(footer, row_groups, schema, names, conjuncts, encoded) -> pa.Table:
    """The terms on one dictionary column run first: they cost a lookup per
    row and leave fewer rows for the other terms, which run next on the
    smaller table.  Terms whose columns are unknown (the source's own filter)
    run inside pyarrow's reader, which knows how to read what they need; so do
    plain terms when there is no dictionary term to run before them."""
    on_one = [(e, next(iter(cols))) for e, cols in conjuncts
              if cols is not None and len(cols) == 1 and cols <= encoded]
    rest = [(e, cols) for e, cols in conjuncts
            if cols is None or not (len(cols) == 1 and cols <= encoded)]
    # Without dictionary terms to run first, the reader is the best place for
    # the plain terms: it skips their work on row groups whose statistics
    # already decide them.
    goes_in_reader = [cols is None or not (on_one or cols & encoded) for _, cols in rest]
    in_reader = [term for term, inside in zip(rest, goes_in_reader) if inside]
    after = [term for term, inside in zip(rest, goes_in_reader) if not inside]
    wanted = set(names).union(c for _, c in on_one).union(*(cols for _, cols in after))
    read_columns = [n for n in schema.names if n in wanted]
    subset = footer.dictionary_fragment(encoded).subset(row_group_ids=list(row_groups))
    table = subset.to_table(
        columns=read_columns, filter=_conjoin([e for e, _ in in_reader]),
        **_schema_if_needed(footer.schema, schema,
                            [*read_columns, *_columns_of(in_reader)],
                            any(cols is None for _, cols in in_reader), encoded),
    )
    if on_one and table.num_rows:
        mask, failed = dictionary_mask(table, on_one)
        if mask is not None:
            table = table.filter(mask)
        after += [(e, frozenset([name])) for e, name in failed]
    if after and table.num_rows:
        table = decode_dictionaries(table, frozenset().union(*(cols & encoded for _, cols in after)))
        table = table.filter(_conjoin([e for e, _ in after]))
    table = table.select(list(names))
    return decode_dictionaries(table, encoded.intersection(names))


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
    return set().union(*(cols or () for _, cols in terms))


def _conjoin(expressions: list[pc.Expression]) -> pc.Expression | None:
    if not expressions:
        return None
    combined = expressions[0]
    for expr in expressions[1:]:
        combined = combined & expr
    return combined
