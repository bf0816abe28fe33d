"""Reading row groups through dictionaries (parquet_read) and plainly, checked
against pyarrow's own dataset reader.

For every read the oracle is ``pyarrow.dataset`` on the same files with the
AND of all conjuncts as its filter: kyudo must return the same rows in the
same order, with the types of the dataset schema and never a dictionary type.
Spies on ``_read_then_filter`` and ``dictionary_mask`` make sure the
dictionary path is really the one being tested where it should be taken.
"""

from __future__ import annotations

import tempfile
from functools import reduce
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from fsspec.implementations.memory import MemoryFileSystem
from hypothesis import strategies as st

from kyudo.io import discover_parquet, parquet_dictionary, parquet_read
from kyudo.io.filesystem import to_arrow_filesystem
from kyudo.io.footers import read_footer
from kyudo.io.parquet_read import read_row_groups
from kyudo.io.row_filter import Conjunct, RowFilter, as_expression

MODES = ["AIR", "MAIL", "RAIL", "SHIP", "", "é", "日本"]
S, T, I = pc.field("s"), pc.field("t"), pc.field("i")


# ---- helpers ----------------------------------------------------------------------


class Spy:
    """Records the reads that filter after reading (the dictionary columns and
    the paged ones of each) and the dictionary masks computed."""

    def __init__(self, monkeypatch):
        self.reads: list[frozenset] = []
        self.paged: list[frozenset] = []
        self.masks: list[list[str]] = []
        read, mask = parquet_read._read_then_filter, parquet_read.dictionary_mask

        def spied_read(footer, row_groups, schema, names, conjuncts, encoded, keep=frozenset(),
                       paged=frozenset(), nan_as_null=frozenset()):
            self.reads.append(encoded)
            self.paged.append(paged)
            return read(footer, row_groups, schema, names, conjuncts, encoded, keep, paged, nan_as_null)

        def spied_mask(table, terms):
            self.masks.append([name for _, name in terms])
            return mask(table, terms)

        monkeypatch.setattr(parquet_read, "_read_then_filter", spied_read)
        monkeypatch.setattr(parquet_read, "dictionary_mask", spied_mask)

    def reset(self):
        self.reads.clear()
        self.paged.clear()
        self.masks.clear()


@pytest.fixture
def spy(monkeypatch):
    return Spy(monkeypatch)


def _conjoin(conjuncts):
    return reduce(lambda a, b: a & b, [e for e, _ in conjuncts]) if conjuncts else None


def _frame(n: int, seed: int = 0, s_type=pa.string()) -> pa.Table:
    """``id`` 0..n-1, low-cardinality ``s`` and ``t`` with NULLs, ``i`` with NULLs."""
    rng = np.random.default_rng(seed)
    s = [None if k % 9 == 4 else MODES[v] for k, v in enumerate(rng.integers(0, len(MODES), n))]
    t = [None if v == 3 else MODES[v] for v in rng.integers(0, 4, n)]
    i = [None if v == 0 else int(v) for v in rng.integers(0, 10, n)]
    return pa.table({"id": pa.array(range(n), pa.int64()), "s": pa.array(s, s_type),
                     "t": pa.array(t), "i": pa.array(i, pa.int64())})


def _write(path: Path, table: pa.Table, **options) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **{"row_group_size": 200, **options})
    return str(path)


def _read_all(src, names, predicate=None) -> pa.Table:
    tables = [src.read_partition(i, names, predicate) for i in range(src.npartitions)]
    assert all(t.column_names == list(names) for t in tables)
    if not names:  # pyarrow's concat_tables drops the row count of column-less tables
        return pa.table({"rows": pa.nulls(sum(t.num_rows for t in tables))}).select([])
    return pa.concat_tables(tables)


def _oracle(src, names, conjuncts, hive=None) -> pa.Table:
    """pyarrow's read of the source's files, in the source's order, with its schema."""
    paths = list(dict.fromkeys(p.path for p in src.partitions))
    options = {} if hive is None else {"partitioning": hive.partitioning, "partition_base_dir": hive.base}
    dataset = ds.dataset(paths, schema=src.schema, **options)
    return dataset.to_table(columns=list(names), filter=_conjoin(conjuncts))


def _assert_same(ours: pa.Table, expected: pa.Table, schema: pa.Schema, names):
    target = pa.schema([schema.field(n) for n in names])
    assert ours.schema == target, (ours.schema, target)
    assert ours.num_rows == expected.num_rows
    assert ours.equals(expected.cast(target) if names else expected)


def _check_source(src, names, conjuncts, hive=None, predicate=None):
    """read_partition over all partitions against the oracle; RowFilter by default."""
    if predicate is None and conjuncts:
        predicate = RowFilter(tuple(conjuncts))
    ours = _read_all(src, names, predicate)
    _assert_same(ours, _oracle(src, names, conjuncts, hive), src.schema, names)
    return ours


# ---- which path is taken -------------------------------------------------------------


def test_filter_on_a_dictionary_column_reads_through_dictionaries(tmp_path, spy):
    _write(tmp_path / "f.parquet", _frame(1000))
    src = discover_parquet(str(tmp_path))
    conjuncts = [(S == "AIR", frozenset({"s"})), (I > 4, frozenset({"i"}))]
    ours = _check_source(src, ["id", "s", "i"], conjuncts)
    assert ours.num_rows > 0
    assert spy.reads and set(spy.reads) == {frozenset({"s"})}
    assert spy.masks and all(names == ["s"] for names in spy.masks)


def test_dictionary_column_only_projected_is_still_read_as_a_dictionary(tmp_path, spy):
    _write(tmp_path / "f.parquet", _frame(1000))
    src = discover_parquet(str(tmp_path))
    _check_source(src, ["t", "id"], [(I.isin([1, 2, 3]), frozenset({"i"}))])
    assert spy.reads and set(spy.reads) == {frozenset({"t"})}
    assert spy.masks == []  # no dictionary term: the plain term ran in the reader


def test_filter_only_column_is_read_as_a_dictionary_and_not_returned(tmp_path, spy):
    _write(tmp_path / "f.parquet", _frame(1000))
    src = discover_parquet(str(tmp_path))
    ours = _check_source(src, ["id"], [(S.isin(["RAIL", "日本"]), frozenset({"s"}))])
    assert ours.column_names == ["id"] and ours.num_rows > 0
    assert spy.reads and spy.masks


def test_columns_written_plainly_take_the_plain_path(tmp_path, spy):
    _write(tmp_path / "f.parquet", _frame(1000), use_dictionary=False)
    src = discover_parquet(str(tmp_path))
    _check_source(src, ["s", "t", "id"], [(S == "AIR", frozenset({"s"})), (T != "MAIL", frozenset({"t"}))])
    assert all(encoded == frozenset() for encoded in spy.reads) and spy.masks == []


def test_high_cardinality_strings_take_the_plain_path(tmp_path, spy):
    table = pa.table({"c": [f"comment {k:05d} {'x' * 40}" for k in range(800)], "i": range(800)})
    _write(tmp_path / "f.parquet", table, dictionary_pagesize_limit=1024)
    src = discover_parquet(str(tmp_path))
    _check_source(src, ["c"], [(pc.field("c") > "comment 00700", frozenset({"c"}))])
    assert spy.reads == []


def test_numeric_columns_are_paged_and_filtered_after(tmp_path, spy):
    _write(tmp_path / "f.parquet", _frame(1000))
    src = discover_parquet(str(tmp_path))
    _check_source(src, ["id", "i"], [(I == 3, frozenset({"i"})), (pc.field("id") < 700, frozenset({"id"}))])
    assert spy.reads and set(spy.reads) == {frozenset()} and spy.masks == []
    assert set(spy.paged) == {frozenset({"id", "i"})}


def test_a_term_on_unknown_columns_leaves_every_column_to_pyarrow(tmp_path, spy):
    _write(tmp_path / "f.parquet", _frame(1000))
    src = discover_parquet(str(tmp_path))
    _check_source(src, ["id", "i"], [(I == 3, None)])
    assert spy.reads == []


def test_numeric_columns_of_another_filesystem_are_not_paged(tmp_path, spy):
    """Each paged chunk is one read; pyarrow coalesces the reads of object stores."""
    path = _write(tmp_path / "f.parquet", _frame(1000))
    memory = MemoryFileSystem()
    memory.pipe("/paged/f.parquet", Path(path).read_bytes())
    footer = read_footer("/paged/f.parquet", to_arrow_filesystem(memory), ds.scalar(True))
    ours = read_row_groups(footer, [0, 1], footer.schema, ["id", "i"], [Conjunct(I > 3, frozenset({"i"}))])
    expected = pq.read_table(path).slice(0, 400).filter(I > 3).select(["id", "i"])
    assert ours.equals(expected)
    assert spy.reads == []


def test_column_typed_differently_in_the_dataset_takes_the_plain_path(tmp_path, spy):
    """One file stores ``s`` as string, another as large_string: the dataset says
    large_string, so only the large_string file reads ``s`` as a dictionary."""
    _write(tmp_path / "a.parquet", _frame(600, seed=1))
    _write(tmp_path / "b.parquet", _frame(600, seed=2, s_type=pa.large_string()))
    src = discover_parquet(str(tmp_path))
    assert src.schema.field("s").type == pa.large_string()
    ours = _check_source(src, ["s", "id"], [(S == "SHIP", frozenset({"s"}))])
    assert ours.num_rows > 0
    by_file = {}
    spy.reset()
    for i, part in enumerate(src.partitions):
        before = len(spy.reads)
        src.read_partition(i, ["s", "id"], RowFilter(((S == "SHIP", frozenset({"s"})),)))
        by_file.setdefault(Path(part.path).name, set()).update(e for e in spy.reads[before:] if e)
    assert by_file == {"a.parquet": set(), "b.parquet": {frozenset({"s"})}}


def test_large_string_columns_read_then_filter(tmp_path, spy):
    _write(tmp_path / "f.parquet", _frame(1000, s_type=pa.large_string()))
    src = discover_parquet(str(tmp_path))
    for conjuncts in (
        [(S == "MAIL", frozenset({"s"}))],
        [(S.is_null(), frozenset({"s"})), (I > 2, frozenset({"i"}))],
        [(~(S == "MAIL"), frozenset({"s"})), (S == T, frozenset({"s", "t"}))],
        [(S.isin(["", "é"]), None)],
    ):
        _check_source(src, ["s", "t", "id"], conjuncts)
    assert spy.reads and all("s" in encoded for encoded in spy.reads)


# ---- the property --------------------------------------------------------------------

_NAMES = ["id", "s", "t", "i"]
_VALUES = ["", "a", "b", "é", "日本", "a b", "🙂", "zz", "nowhere"]


@st.composite
def _tables(draw):
    # Mostly row groups big enough to be worth a dictionary, some too small.
    rows = draw(st.one_of(st.integers(200, 700), st.integers(200, 700), st.integers(1, 40)))
    row_group_size = draw(st.sampled_from([150, 256, 1000, 100, 60, 7]))
    seed = draw(st.integers(0, 2**32 - 1))
    s_vocab = draw(st.lists(st.sampled_from(_VALUES[:-1]), min_size=1, max_size=6, unique=True))
    t_vocab = draw(st.lists(st.sampled_from(_VALUES[:-1]), min_size=1, max_size=4, unique=True))
    s_nulls = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    t_nulls = draw(st.sampled_from([0.0, 0.2]))
    sort_s = draw(st.booleans())  # sorted: row groups see different sets of values
    rng = np.random.default_rng(seed)

    def strings(vocab, null_rate):
        return [None if rng.random() < null_rate else vocab[v]
                for v in rng.integers(0, len(vocab), rows)]

    s = strings(s_vocab, s_nulls)
    if sort_s:
        s = sorted(s, key=lambda v: (v is None, v))
    i = [None if v < 0 else int(v) for v in rng.integers(-2, 10, rows)]
    table = pa.table({"id": pa.array(range(rows), pa.int64()), "s": pa.array(s, pa.string()),
                      "t": pa.array(strings(t_vocab, t_nulls), pa.string()),
                      "i": pa.array(i, pa.int64())})
    return table, row_group_size


def _string_terms(name):
    f = pc.field(name)
    value = st.sampled_from(_VALUES)
    cols = frozenset({name})
    return st.one_of(
        value.map(lambda v: (f == v, cols)),
        value.map(lambda v: (f != v, cols)),
        value.map(lambda v: (~(f == v), cols)),
        st.lists(st.one_of(st.none(), value), min_size=1, max_size=3).map(
            lambda vs: (f.isin(pa.array(vs, pa.string())), cols)),
        st.just((f.is_null(), cols)),
        st.just((f.is_valid(), cols)),
        value.map(lambda v: (pc.coalesce(f, pa.scalar("")) == v, cols)),
    )


_DICTIONARY_TERMS = st.one_of(_string_terms("s"), _string_terms("t"))
_OTHER_TERMS = st.one_of(
    st.just((S == T, frozenset({"s", "t"}))),
    st.just((S < T, frozenset({"s", "t"}))),
    st.integers(-1, 10).map(lambda k: ((S == "a") | (I > k), frozenset({"s", "i"}))),
    st.integers(-1, 10).map(lambda k: (I > k, frozenset({"i"}))),
    st.integers(-1, 10).map(lambda k: (I <= k, frozenset({"i"}))),
    st.just((I.is_null(), frozenset({"i"}))),
    st.integers(0, 700).map(lambda k: (pc.field("id") >= k, frozenset({"id"}))),
)
# The planner may not know what a term reads (a source's own filter).
_UNKNOWN_TERMS = st.one_of(_DICTIONARY_TERMS, _OTHER_TERMS).map(lambda term: (term[0], None))


@st.composite
def _conjuncts(draw):
    """Usually some dictionary terms, mixed in any order with the others."""
    terms = (draw(st.lists(_DICTIONARY_TERMS, min_size=1, max_size=2))
             + draw(st.lists(_OTHER_TERMS, max_size=2))
             + draw(st.lists(_UNKNOWN_TERMS, max_size=1)))
    return draw(st.permutations(terms)) if terms else []


def _worth_a_dictionary(metadata, row_groups, name) -> bool:
    """What the footer says: every chunk has a dictionary page and is small."""
    leaf = metadata.schema.names.index(name)
    chunks = [metadata.row_group(rg).column(leaf) for rg in row_groups]
    return all(c.has_dictionary_page and c.total_uncompressed_size
               < parquet_dictionary._MAX_DICTIONARY_BYTES_PER_VALUE * c.num_values for c in chunks)


def _row_mask(expression):
    """A term's row mask as the planner hands it to the reader, computed here
    by pyarrow itself: True on the rows its filter keeps."""
    def mask(table: pa.Table) -> pa.Array:
        numbered = table.append_column("__row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
        kept = np.zeros(table.num_rows, np.bool_)
        kept[numbered.filter(expression)["__row"].to_numpy()] = True
        return pa.array(kept)
    return mask


def _is_dictionary_term(cols) -> bool:
    return cols is not None and len(cols) == 1 and cols <= {"s", "t"}


def test_reads_match_pyarrow_on_random_tables_and_filters(spy):
    seen = dict.fromkeys(["dictionary reads", "plain reads", "dictionary masks",
                          "dictionary read, no dictionary term"], 0)

    def read_and_compare(footer, fragment, ids, names, conjuncts, masked):
        spy.reset()
        terms = [Conjunct(e, cols, _row_mask(e) if masked and cols is not None else None) for e, cols in conjuncts]
        ours = read_row_groups(footer, ids, footer.schema, names, terms)
        expected = fragment.subset(row_group_ids=ids).to_table(columns=names, filter=_conjoin(conjuncts))
        _assert_same(ours, expected, footer.schema, names)
        involved = set(names).union(*(cols or () for _, cols in conjuncts))
        encoded = {n for n in ("s", "t") if n in involved and _worth_a_dictionary(footer.metadata, ids, n)}
        masks = masked and any(cols is not None for _, cols in conjuncts)
        unknown = any(cols is None for _, cols in conjuncts)
        paged = set() if unknown else involved & {"id", "i"}
        assert spy.reads == ([frozenset(encoded)] if encoded or masks or paged else [])
        assert spy.paged == ([frozenset(paged)] if spy.reads else [])
        if encoded:
            seen["dictionary reads"] += 1
            seen["dictionary masks"] += bool(spy.masks)
            seen["dictionary read, no dictionary term"] += not any(
                _is_dictionary_term(cols) for _, cols in conjuncts)
        else:
            seen["plain reads"] += 1

    @settings(deadline=None, max_examples=60, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_tables(),
           _conjuncts(),
           st.lists(st.sampled_from(_NAMES), max_size=4, unique=True),
           st.data())
    def check(table_and_size, conjuncts, names, data):
        table, row_group_size = table_and_size
        # Each example is read with its dictionary terms and without them.
        plain_terms = [(e, cols) for e, cols in conjuncts if not _is_dictionary_term(cols)]
        with tempfile.TemporaryDirectory() as directory:
            path = _write(Path(directory) / "f.parquet", table, row_group_size=row_group_size)
            footer = read_footer(path, pafs.LocalFileSystem(), ds.scalar(True))
            groups = footer.metadata.num_row_groups
            fragment = next(iter(ds.dataset(path).get_fragments()))
            first = data.draw(st.integers(0, groups - 1), label="first row group")
            last = data.draw(st.integers(first, groups - 1), label="last row group")
            for terms in (conjuncts, plain_terms):
                for row_groups in {(first, last + 1), (0, groups)}:
                    for masked in (False, True):
                        read_and_compare(footer, fragment, list(range(*row_groups)), names, terms, masked)
            src = discover_parquet(path, target_partition_bytes=data.draw(
                st.sampled_from([1, 10**9]), label="target_partition_bytes"))
            as_expression = bool(conjuncts) and data.draw(st.booleans(), label="as pc.Expression")
            _check_source(src, names, conjuncts,
                          predicate=_conjoin(conjuncts) if as_expression else None)

    check()
    # Every way through the reader was exercised, not only the plain one (the
    # bounds are well below what a run of 60 examples gives: 28+, 16+, 50+, 6+).
    assert seen["dictionary reads"] >= 12, seen
    assert seen["dictionary masks"] >= 6, seen
    assert seen["plain reads"] >= 10, seen
    assert seen["dictionary read, no dictionary term"] >= 2, seen


# ---- edge cases ----------------------------------------------------------------------


def test_no_matching_row_keeps_the_schema(tmp_path, spy):
    _write(tmp_path / "f.parquet", _frame(1000))
    src = discover_parquet(str(tmp_path))
    for conjuncts in (
        [(S == "nowhere", frozenset({"s"}))],
        [(S == "AIR", frozenset({"s"})), (S == "MAIL", frozenset({"s"}))],
        [(S == "AIR", frozenset({"s"})), (I > 100, frozenset({"i"}))],
        [(S == "AIR", frozenset({"s"})), (S == T, frozenset({"s", "t"})), (T == "MAIL", frozenset({"t"}))],
    ):
        ours = _check_source(src, ["s", "t", "i"], conjuncts)
        assert ours.num_rows == 0
    assert spy.masks


def test_no_columns_only_counts_rows(tmp_path, spy):
    _write(tmp_path / "f.parquet", _frame(1000))
    src = discover_parquet(str(tmp_path))
    conjuncts = [(S == "RAIL", frozenset({"s"})), (T.is_null(), frozenset({"t"}))]
    tables = [src.read_partition(i, [], RowFilter(tuple(conjuncts))) for i in range(src.npartitions)]
    expected = ds.dataset(str(tmp_path)).count_rows(filter=_conjoin(conjuncts))
    assert expected > 0
    assert sum(t.num_rows for t in tables) == expected
    assert all(t.num_columns == 0 for t in tables)
    assert spy.masks


def test_all_null_dictionary_column(tmp_path, spy):
    table = _frame(800).set_column(1, "s", pa.nulls(800, pa.string()))
    _write(tmp_path / "f.parquet", table)
    src = discover_parquet(str(tmp_path))
    for conjuncts in (
        [(S.is_null(), frozenset({"s"}))],
        [(S.is_valid(), frozenset({"s"}))],
        [(S == "AIR", frozenset({"s"}))],
        [(~(S == "AIR"), frozenset({"s"}))],
        [(S.isin(["a", None]), frozenset({"s"})), (I > 5, frozenset({"i"}))],
        [(S == T, frozenset({"s", "t"}))],
        [(pc.coalesce(S, T) == "AIR", frozenset({"s", "t"}))],
    ):
        _check_source(src, ["id", "s", "t"], conjuncts)
    assert spy.reads and all("s" in encoded for encoded in spy.reads)


def test_one_row_file(tmp_path):
    _write(tmp_path / "f.parquet", pa.table({"s": ["é"], "t": pa.array([None], pa.string()), "i": [3]}))
    src = discover_parquet(str(tmp_path))
    for conjuncts in (
        [(S == "é", frozenset({"s"}))],
        [(S != "é", frozenset({"s"}))],
        [(T.is_null(), frozenset({"t"})), (I == 3, frozenset({"i"}))],
        [(~(T == "x"), frozenset({"t"}))],
        [(S == T, None)],
    ):
        for names in (["s", "t", "i"], ["i"]):
            _check_source(src, names, conjuncts)


def test_column_missing_from_one_file_reads_as_null(tmp_path, spy):
    """``a.parquet`` lacks ``s`` and holds ``i`` as int32: the dataset schema
    has ``s`` (NULL there) and ``i`` as int64, and filters on ``s`` behave as
    pyarrow's do with that schema."""
    early = _frame(500, seed=3).drop_columns(["s"])
    early = early.set_column(early.schema.get_field_index("i"), "i", early.column("i").cast(pa.int32()))
    _write(tmp_path / "a.parquet", early)
    _write(tmp_path / "b.parquet", _frame(700, seed=4))
    src = discover_parquet(str(tmp_path))
    assert src.schema.field("s").type == pa.string() and src.schema.field("i").type == pa.int64()
    for conjuncts in (
        [(S == "AIR", frozenset({"s"}))],
        [(S.is_null(), frozenset({"s"})), (I > 3, frozenset({"i"}))],
        [(~(S == "AIR"), frozenset({"s"})), (T == "MAIL", frozenset({"t"}))],
        [(S.isin(["é", None]), frozenset({"s"}))],
        [(T == "RAIL", frozenset({"t"})), (S == T, frozenset({"s", "t"}))],
        [(S == "AIR", None), (I < 5, None)],
    ):
        for names in (["id", "s", "t", "i"], ["id", "i"]):
            _check_source(src, names, conjuncts)
    assert spy.reads


class _HivePartitioning:
    """What _oracle needs: a partitioning for ds.dataset and its base directory."""

    def __init__(self, partitioning, base):
        self.partitioning, self.base = partitioning, str(base)


def test_hive_column_filter_together_with_a_dictionary_term(tmp_path, spy):
    root = tmp_path / "hive"
    for k, (year, region) in enumerate([(2020, "eu"), (2020, "us"), (2021, "eu"), (2021, "us")]):
        _write(root / f"year={year}" / f"region={region}" / "part.parquet", _frame(500, seed=k))
    src = discover_parquet(str(root))
    assert src.schema.field("year").type == pa.int32()
    partitioning = ds.partitioning(pa.schema([src.schema.field("year"), src.schema.field("region")]),
                                   flavor="hive")
    hive = _HivePartitioning(partitioning, root)
    year, region = pc.field("year"), pc.field("region")
    for conjuncts in (
        [(year == 2021, frozenset({"year"})), (S == "AIR", frozenset({"s"}))],
        [(region != "us", frozenset({"region"})), (~(S == "MAIL"), frozenset({"s"})),
         (I > 2, frozenset({"i"}))],
        [((year == 2020) | (S == T), frozenset({"year", "s", "t"})), (T == "AIR", frozenset({"t"}))],
        [(region == "eu", None), (S.is_null(), frozenset({"s"}))],
    ):
        for names in (["id", "s", "year", "region"], ["region", "t"], ["id"]):
            _check_source(src, names, conjuncts, hive=hive)
    assert spy.reads and spy.masks


def test_plain_expression_predicate_still_works(tmp_path, spy):
    """The older convention: a bare pc.Expression, whose columns are unknown."""
    _write(tmp_path / "f.parquet", _frame(1000))
    src = discover_parquet(str(tmp_path))
    for expression in (
        S == "AIR",
        (S == "AIR") & (I > 3),
        ~(S == "SHIP") & T.is_null(),
        S.isin(["", "日本", None]) | (I == 1),
    ):
        ours = _read_all(src, ["id", "s", "t"], expression)
        expected = ds.dataset(str(tmp_path)).to_table(columns=["id", "s", "t"], filter=expression)
        _assert_same(ours, expected, src.schema, ["id", "s", "t"])
    # s and t are read as dictionaries; the unknown-column filter runs in the reader.
    assert spy.reads and spy.masks == []


def test_discovery_filter_and_a_row_filter_apply_together(tmp_path, spy):
    _write(tmp_path / "f.parquet", _frame(1000))
    src = discover_parquet(str(tmp_path), filters=[("s", "in", ["AIR", "MAIL"]), ("i", ">", 2)])
    conjuncts = [(S == "AIR", frozenset({"s"})), (T != "RAIL", frozenset({"t"}))]
    ours = _read_all(src, ["id", "s", "t"], RowFilter(tuple(conjuncts)))
    expected = ds.dataset(str(tmp_path)).to_table(
        columns=["id", "s", "t"], filter=_conjoin(conjuncts) & as_expression(src.filter))
    _assert_same(ours, expected, src.schema, ["id", "s", "t"])
    assert ours.num_rows > 0 and spy.masks


def test_dictionary_read_through_an_fsspec_filesystem(memory_root, spy):
    """The dictionary fragment is made on the footer's filesystem, not the local one."""
    fs, root = memory_root
    table = _frame(1000)
    with fs.open(f"{root}/f.parquet", "wb") as f:
        pq.write_table(table, f, row_group_size=300)
    src = discover_parquet(f"memory://{root}", target_partition_bytes=1)
    conjuncts = [(S == "é", frozenset({"s"})), (T.is_valid(), frozenset({"t"}))]
    ours = _read_all(src, ["id", "s"], RowFilter(tuple(conjuncts)))
    assert ours.equals(table.filter(_conjoin(conjuncts)).select(["id", "s"]))
    assert len(spy.reads) == src.npartitions == 4 and spy.masks


# ---- terms that fail on a dictionary value, repeated columns ------------------------------


def test_term_failing_only_on_an_unused_dictionary_entry(tmp_path):
    """A term that fails on some dictionary entry is evaluated on the rows, as
    pyarrow does: here no row holds the entry, so nothing fails."""
    # Writers keep dictionary entries no row uses (pyarrow writing a DictionaryArray,
    # e.g. a pandas categorical with an unused category); without the stored Arrow
    # schema the column is a plain string column to the dataset.
    codes = pa.DictionaryArray.from_arrays(pa.array([0, 1] * 600, pa.int32()), pa.array(["1", "2", "n/a"]))
    pq.write_table(pa.table({"code": codes, "i": range(1200)}), tmp_path / "f.parquet", store_schema=False)
    src = discover_parquet(str(tmp_path))
    assert src.schema.field("code").type == pa.string()
    term = pc.field("code").cast(pa.int32()) == 2
    _check_source(src, ["i"], [(term, frozenset({"code"}))])


def test_repeated_column_through_dictionaries(tmp_path):
    _write(tmp_path / "f.parquet", _frame(1000))
    src = discover_parquet(str(tmp_path))
    # The plain path (and the reader before the dictionary path) returns it twice.
    assert src.read_partition(0, ["i", "i"]).column_names == ["i", "i"]
    assert src.read_partition(0, ["s", "id", "s"]).column_names == ["s", "id", "s"]


def test_a_dnf_discovery_filter_names_its_columns(tmp_path):
    """A DNF ``filters=`` list names the columns it reads, so the reader treats
    it like a pushed filter; an expression's columns stay unknown."""
    _write(tmp_path / "f.parquet", _frame(100))
    named = discover_parquet(str(tmp_path), filters=[[("i", ">", 2), ("s", "==", "AIR")], [("id", "<", 5)]])
    assert isinstance(named.filter, RowFilter)
    assert [cols for _, cols in named.filter.conjuncts] == [frozenset({"i", "s", "id"})]
    plain = discover_parquet(str(tmp_path), filters=pc.field("i") > 2)
    assert not isinstance(plain.filter, RowFilter)
    expected = ds.dataset(str(tmp_path)).to_table(filter=as_expression(named.filter))
    assert _read_all(named, named.schema.names, None).num_rows == expected.num_rows
