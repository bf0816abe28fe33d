"""infer_type agrees with evaluate for every catalog op; errors are helpful;
constant folding and pushdown conversion preserve results."""
from __future__ import annotations

import datetime
import decimal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.planner.evaluate import constant_fold, evaluate
from kyudo.planner.expr import Call, Lit, call, col, lit
from kyudo.planner.functions import FUNCTIONS, is_deterministic
from kyudo.planner.to_arrow import to_arrow_expression
from kyudo.planner.errors import ColumnNotFoundError
from kyudo.planner.types import ExpressionError, common_type, infer_type

TZ = "Europe/Paris"
TABLE = pa.table({
    "i8": pa.array([1, None, -3, 0], pa.int8()),
    "i32": pa.array([5, 2, None, -7], pa.int32()),
    "i64": pa.array([10, -4, 3, None], pa.int64()),
    "u16": pa.array([1, 2, None, 4], pa.uint16()),
    "f32": pa.array([1.5, None, -2.25, 0.0], pa.float32()),
    "f64": pa.array([0.5, float("nan"), None, -3.0], pa.float64()),
    "dec": pa.array([decimal.Decimal("1.25"), None, decimal.Decimal("-3.50"), decimal.Decimal("0")],
                    pa.decimal128(6, 2)),
    "flag": pa.array([True, None, False, True]),
    "s": pa.array(["Abc", None, "  éx ", ""], pa.string()),
    "ls": pa.array(["a,b", "c", None, ",,"], pa.large_string()),
    "d": pa.array([datetime.date(2020, 1, 31), None, datetime.date(1998, 9, 2), datetime.date(2000, 2, 29)]),
    "ts": pa.array([datetime.datetime(2021, 3, 28, 1, 30), datetime.datetime(1999, 12, 31, 23, 59, 59, 999999),
                    None, datetime.datetime(2000, 1, 1)], pa.timestamp("ns")),
    "tz": pa.array([datetime.datetime(2021, 3, 28, 1, 30), None, datetime.datetime(2020, 1, 1),
                    datetime.datetime(2000, 6, 1, 12)], pa.timestamp("us", "UTC")).cast(pa.timestamp("us", TZ)),
    "n": pa.nulls(4),
    "cat": pa.array(["a", "b", None, "a"]).dictionary_encode(),
})

# At least one sample per catalog op; test_every_op_has_a_sample keeps it so.
def _udf_sample(a, b):
    """A user's vectorised function, as SQL's register_function passes it."""
    return pc.add(a, b)


SAMPLES = [
    call("add", col("i8"), col("i32")), call("add", col("i64"), col("f32")), call("add", col("dec"), col("i64")),
    call("add", col("ts"), lit(datetime.timedelta(hours=1))), call("add", col("n"), col("i8")),
    call("subtract", col("dec"), col("f64")), call("subtract", col("d"), col("d")),
    call("subtract", col("ts"), col("d")), call("subtract", col("u16"), col("i8")),
    call("multiply", col("dec"), col("dec")), call("multiply", col("f32"), col("i8")),
    call("multiply", col("flag"), col("i64")), call("add", col("f32"), col("flag")),
    call("divide", col("flag"), col("dec")),
    call("multiply", call("multiply", col("dec"), call("subtract", lit(1), col("dec"))),
         call("add", lit(1), col("dec"))),  # beyond 38 digits unless capped
    call("divide", call("multiply", col("dec"), col("dec")), call("multiply", col("dec"), col("dec"))),
    call("divide", col("i32"), col("i64")), call("divide", col("f32"), col("f32")),
    call("divide", col("dec"), col("i32")),
    call("floordiv", col("i32"), col("i8")), call("floordiv", col("f64"), col("i8")),
    call("floordiv", col("dec"), col("i8")),
    call("mod", col("i64"), col("i32")), call("mod", col("f32"), col("f32")), call("mod", col("dec"), col("i8")),
    call("negate", col("i32")), call("abs", col("dec")), call("sign", col("f64")), call("sign", col("i8")),
    call("pandas_floordiv", col("i32"), col("i8")), call("pandas_floordiv", col("i64"), lit(0), zero_divisor=True),
    call("pandas_power", col("i32"), lit(2)), call("pandas_power", col("f64"), col("i8")),
    call("pandas_power", col("dec"), lit(2)),
    call("time_measure", col("ts"), kind="tick"), call("time_measure", col("tz"), kind="day"),
    call("time_measure", col("tz"), kind="month"), call("time_measure", col("ts"), kind="day"),
    call("time_label", col("i64"), kind="tick", unit="us", tz=TZ),
    call("time_label", col("i32"), kind="day", unit="ns", tz=None),
    call("time_label", col("i64"), kind="month", unit="us", tz=TZ, end=True),
    call("power", col("i32"), lit(2)), call("round", col("f32"), ndigits=1), call("round", col("dec"), ndigits=1),
    call("round", col("i64"), ndigits=-1),
    call("sqrt", col("i32")), call("exp", col("f32")), call("ln", col("dec")), call("log10", col("f64")),
    call("floor", col("f64")), call("ceil", col("dec")), call("floor", col("i32")),
    call("equal", col("i32"), col("f64")), call("not_equal", col("dec"), col("i64")),
    call("less", col("d"), lit("2000-01-01")), call("less_equal", col("d"), col("ts")),
    call("greater", col("tz"), lit(datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc))),
    call("greater_equal", col("s"), col("ls")), call("less", col("tz"), lit("2020-01-01 00:00:00")),
    call("between", col("i8"), lit(0), lit(2.5)), call("between", col("d"), lit("1999-01-01"), col("d")),
    call("is_in", col("i32"), values=(2, None)), call("is_in", col("d"), values=("2020-01-31",)),
    call("is_in", col("s"), values=()), call("is_in", col("i8"), values=(1, 300)),
    call("is_null", col("f64")), call("is_not_null", col("n")), call("is_nan", col("f64")), call("is_nan", col("i8")), call("nan_to_null", col("f64")), call("nan_to_null", col("i8")),
    call("and", col("flag"), lit(None)), call("or", col("flag"), call("is_null", col("s")), lit(False)),
    call("not", col("flag")),
    call("if_else", col("flag"), col("i8"), col("f32")), call("if_else", col("flag"), col("s"), lit(None)),
    call("case_when", col("flag"), col("i32"), call("is_null", col("s")), col("dec")),
    call("case_when", col("flag"), col("s"), col("ls")),
    call("coalesce", col("i8"), col("i64"), lit(0)), call("coalesce", col("n")),
    call("fill_null", col("d"), lit(datetime.date(2000, 1, 1))),
    call("nullif", col("s"), lit("")),
    call("cast", col("i64"), to=pa.string()), call("cast", col("s"), to=pa.large_string()),
    call("try_cast", col("s"), to=pa.float64()), call("try_cast", col("ls"), to=pa.date32()),
    call("lower", col("s")), call("upper", col("ls")), call("upper", col("cat")),
    *(call(op, col("s")) for op in ("capitalize", "title", "swapcase", "is_alpha", "is_digit", "is_alnum",
                                    "is_numeric", "is_decimal", "is_space", "is_lower", "is_upper",
                                    "is_title")),
    call("find", col("s"), pattern="b"), call("count_matches", col("ls"), pattern="[ab]"),
    call("repeat", col("s"), n=2),
    call("equal", col("cat"), lit("a")), call("coalesce", col("cat"), col("s")),
    call("equal", col("i8"), Lit(pa.scalar(1, pa.int8()))), call("length", col("ls")), call("length", col("s")),
    call("strip", col("s")), call("lstrip", col("ls"), chars=","), call("rstrip", col("s")),
    call("starts_with", col("s"), pattern="A"), call("ends_with", col("ls"), pattern=","),
    call("contains", col("s"), pattern="b|x"), call("like", col("s"), pattern="%b_"),
    call("ilike", col("ls"), pattern="A%"),
    call("replace", col("s"), pattern="b", replacement="B"), call("substring", col("ls"), start=1, length=2),
    call("concat", col("s"), col("ls"), col("i8")), call("concat", col("s")),
    call("split_part", col("ls"), delimiter=",", index=2), call("pad", col("s"), width=6, side="right"),
    call("strftime", col("tz"), format="%Y-%m-%d %H:%M"), call("strftime", col("d"), format="%d/%m/%Y"),
    *[call(op, col(c)) for op in ("year", "month", "day", "day_of_week", "day_of_year", "quarter", "week")
      for c in ("d", "ts", "tz")],
    *[call(op, col(c)) for op in ("hour", "minute", "second", "microsecond") for c in ("ts", "tz")],
    call("date", col("tz")), call("date", col("ts")), call("date", col("d")),
    call("date_trunc", col("tz"), unit="day"), call("date_trunc", col("d"), unit="month"),
    call("date_trunc", col("ts"), unit="minute"),
    call("add_interval", col("d"), months=1), call("add_interval", col("tz"), months=-1, days=2),
    call("add_interval", col("ts"), nanoseconds=5),
    call("round", col("f64"), ndigits=0, round_mode="half_towards_infinity"),
    call("python_udf", col("i64"), col("f64"), func=_udf_sample, arg_types=(pa.int64(), pa.float64()),
         result_type=pa.float64(), input="arrow", name="sample"),
]


def test_every_op_has_a_sample():
    assert {e.op for e in SAMPLES} == set(FUNCTIONS)


@pytest.mark.parametrize("expr", SAMPLES, ids=repr)
def test_inferred_type_is_the_evaluated_type(expr):
    result = evaluate(expr, TABLE)
    assert len(result) == TABLE.num_rows
    assert infer_type(expr, TABLE.schema) == result.type


@pytest.mark.parametrize("expr", SAMPLES, ids=repr)
def test_chunked_and_sliced_inputs_give_the_same_values(expr):
    """Evaluation must not depend on how the partition's columns are chunked."""
    chunked = pa.Table.from_batches(TABLE.to_batches(max_chunksize=3))
    assert plain(evaluate(expr, chunked)) == plain(evaluate(expr, TABLE))
    assert plain(evaluate(expr, TABLE.to_batches()[0].slice(1))) == plain(evaluate(expr, TABLE))[1:]


def plain(values) -> list:
    """Python values with NaN replaced by a marker, so that lists compare equal."""
    if isinstance(values, pa.Table):
        return [plain(c) for c in values.columns]
    return ["NaN" if v != v else v for v in values.to_pylist()]


@pytest.mark.parametrize("expr", SAMPLES, ids=repr)
def test_constant_folding_agrees_with_evaluation(expr):
    """Each column replaced by a literal of one of its values folds to what
    evaluation gives for that row."""
    for row in range(TABLE.num_rows):
        values = {name: Lit(TABLE[name][row].as_py(), TABLE.schema.field(name).type) for name in TABLE.column_names}
        literal_only = _substitute(expr, values)
        folded = constant_fold(literal_only)
        want = evaluate(expr, TABLE)[row]
        assert isinstance(folded, Lit), folded
        assert folded.dtype == want.type
        assert pa.scalar(folded.value, folded.dtype).equals(want) or (folded.value != folded.value)


def _substitute(expr, values):
    if isinstance(expr, Call):
        return Call(expr.op, tuple(_substitute(a, values) for a in expr.args), expr.options)
    return values.get(getattr(expr, "name", None), expr)


# ------------------------------------------------------------------ errors


def test_unknown_column_names_the_closest_match():
    with pytest.raises(ColumnNotFoundError, match="did you mean 'i32'"):
        infer_type(call("add", col("i33"), lit(1)), TABLE.schema)
    with pytest.raises(ColumnNotFoundError, match="did you mean 'flag'"):
        evaluate(call("not", col("flg")), TABLE)


@pytest.mark.parametrize("expr, message", [
    (call("add", col("s"), col("i32")), r"add does not accept argument types \(string, int32\)"),
    (call("and", col("flag"), col("i8")), r"and: expected boolean arguments.*\(bool, int8\)"),
    (call("add", col("flag"), col("flag")), r"add does not accept argument types \(bool, bool\)"),
    (call("lower", col("i8")), r"lower: expected string arguments.*\(int8\)"),
    (call("year", col("s")), r"year: expected a date or timestamp.*\(string\)"),
    (call("equal", col("d"), col("i8")), r"equal: no common type.*date32\[day\], int8"),
    (call("less", col("ts"), col("tz")), r"less: no common type"),
    (call("not", col("flag"), col("flag")), r"not takes 1 arguments, got 2"),
    (call("frobnicate", col("s")), r"unknown function 'frobnicate'"),
    (call("abss", col("i8")), r"did you mean 'abs'"),
    (call("cast", col("i8")), r"cast: option to= must be a pyarrow DataType"),
    (call("date_trunc", col("d"), unit="fortnight"), r"unknown unit 'fortnight'"),
])
def test_type_errors_name_the_op_and_types(expr, message):
    with pytest.raises(ExpressionError, match=message):
        infer_type(expr, TABLE.schema)


# ------------------------------------------------------------------ promotion


@pytest.mark.parametrize("a, b, want", [
    (pa.int32(), pa.int64(), pa.int64()), (pa.int8(), pa.uint8(), pa.int16()),
    (pa.int64(), pa.uint64(), pa.float64()), (pa.int64(), pa.float32(), pa.float64()),
    (pa.int16(), pa.float32(), pa.float32()), (pa.int64(), pa.decimal128(10, 2), pa.decimal128(21, 2)),
    (pa.uint64(), pa.decimal128(10, 2), pa.decimal128(22, 2)),
    (pa.decimal128(38, 10), pa.decimal128(38, 0), pa.decimal256(48, 10)),
    (pa.float64(), pa.decimal128(5, 1), pa.float64()), (pa.string(), pa.date32(), pa.date32()),
    (pa.date32(), pa.timestamp("ms"), pa.timestamp("ms")), (pa.timestamp("s", "UTC"), pa.timestamp("ns", "UTC"),
                                                            pa.timestamp("ns", "UTC")),
    (pa.timestamp("s"), pa.timestamp("s", "UTC"), None), (pa.null(), pa.string(), pa.string()),
    (pa.bool_(), pa.int8(), None),
])
def test_common_type_is_symmetric(a, b, want):
    assert common_type(a, b) == want
    assert common_type(b, a) == want


# ------------------------------------------------------------------ folding


def test_constant_folding_pins_the_result_type_and_keeps_columns():
    assert constant_fold(call("add", lit(1), lit(2.5))) == Lit(3.5, pa.float64())
    assert constant_fold(call("greater", col("d"), call("cast", lit("1998-09-02"), to=pa.date32()))) == \
        call("greater", col("d"), Lit(datetime.date(1998, 9, 2), pa.date32()))
    assert constant_fold(call("is_in", lit(None), values=(1,))) == Lit(None, pa.bool_())


def test_constant_folding_leaves_failing_calls_for_run_time():
    bad = call("cast", lit("x"), to=pa.int64())
    assert constant_fold(call("if_else", col("flag"), lit(1), bad)) == call("if_else", col("flag"), lit(1), bad)


X = call("greater", col("i8"), lit(0))
TRUE, FALSE, NULL = lit(True), lit(False), lit(None)


@pytest.mark.parametrize("expr, want", [
    (call("and", X, TRUE), X), (call("and", TRUE, X), X), (call("or", X, FALSE), X),
    (call("and", X, FALSE), Lit(False, pa.bool_())), (call("or", TRUE, X), Lit(True, pa.bool_())),
    (call("not", call("not", X)), X), (call("and", X, call("equal", lit(1), lit(1))), X),
    (call("and", X, NULL), call("and", X, NULL)), (call("or", X, NULL), call("or", X, NULL)),
    (call("and", X, call("not", TRUE), col("flag")), Lit(False, pa.bool_())),
    (Call("and", (X, TRUE, col("flag"))), Call("and", (X, col("flag")))),
])
def test_boolean_simplifications(expr, want):
    folded = constant_fold(expr)
    assert folded == want
    assert evaluate(folded, TABLE).to_pylist() == evaluate(expr, TABLE).to_pylist()


def test_is_deterministic():
    assert is_deterministic("add") and not is_deterministic("my_udf")
    assert is_deterministic(call("add", col("a"), lit(1)))
    assert not is_deterministic(call("add", Call("my_udf", (col("a"),)), lit(1)))


# ------------------------------------------------------------------ pushdown


PREDICATES = [e for e in SAMPLES if pa.types.is_boolean(infer_type(e, TABLE.schema))] + [
    call("not", call("is_in", col("i32"), values=(2, None))),
    call("not", call("is_in", col("i32"), values=(5,))),
    call("and", call("greater", col("d"), lit("1999-01-01")), call("less", col("f64"), lit(1))),
    call("equal", call("floordiv", col("i32"), col("i8")), lit(-3)),
    call("equal", call("split_part", col("ls"), delimiter=",", index=1), lit("a")),
    call("greater", call("case_when", col("flag"), col("i64"), lit(1)), lit(2)),
    call("equal", lit(1), call("floordiv", col("i32"), lit(2))),  # literals first, scalar divisor
    call("less", lit(-1.0), call("floordiv", col("f64"), lit(0.0))),
    call("greater", call("pandas_power", col("i32"), lit(2)), lit(3)),
]


@pytest.mark.parametrize("expr", PREDICATES, ids=repr)
def test_pushed_filter_selects_the_rows_evaluate_selects(expr, tmp_path):
    arrow_expr = to_arrow_expression(expr, TABLE.schema)
    if arrow_expr is None:
        assert any(not FUNCTIONS[op].pushdown for op in _ops(expr))
        return
    want = TABLE.filter(evaluate(expr, TABLE), null_selection_behavior="drop")
    assert plain(ds.dataset(TABLE).to_table(filter=arrow_expr)) == plain(want)
    path = tmp_path / "t.parquet"
    pq.write_table(TABLE.drop_columns(["n"]), path, row_group_size=1)
    if "n" not in expr.columns():
        got = ds.dataset(path).to_table(filter=arrow_expr)
        assert plain(got) == plain(want.drop_columns(["n"]).cast(got.schema))


@pytest.mark.parametrize("expr", SAMPLES, ids=repr)
def test_converted_expressions_project_the_values_evaluate_gives(expr):
    """Every pushdown-capable kernel also works in Expression mode (as a projection)."""
    arrow_expr = to_arrow_expression(expr, TABLE.schema)
    if arrow_expr is None:
        assert any(not FUNCTIONS[op].pushdown for op in _ops(expr))
        return
    got = ds.dataset(TABLE).to_table(columns={"r": arrow_expr})["r"]
    assert got.type == evaluate(expr, TABLE).type
    assert plain(got) == plain(evaluate(expr, TABLE))


def _ops(expr):
    return {expr.op, *(op for a in expr.args for op in _ops(a))} if isinstance(expr, Call) else set()


def test_unconvertible_parts_make_the_whole_conversion_none():
    expr = call("and", call("greater", col("i8"), lit(0)), call("is_null", call("add_interval", col("d"), days=1)))
    assert to_arrow_expression(expr, TABLE.schema) is None
    assert to_arrow_expression(call("my_udf", col("i8")), TABLE.schema) is None


@pytest.mark.parametrize("expr, want", [
    (call("greater", col("d"), lit("1998-09-02")), "(d > 1998-09-02)"),
    (call("less", col("i32"), lit(5)), "(i32 < 5)"),
    (call("between", col("dec"), lit(0.05), lit(0.07)), "((dec >= 0.05) and (dec <= 0.07))"),
    (call("equal", lit(2.0), col("i8")), "(2 == i8)"),
])
def test_pushed_comparisons_keep_the_bare_column_for_statistics(expr, want):
    assert str(to_arrow_expression(expr, TABLE.schema)) == want


@pytest.mark.parametrize("expr", [call("less", col("i32"), lit(2.5)), call("equal", col("i8"), lit(300)),
                                  call("is_in", col("i8"), values=(1, 2.5)), call("is_in", col("i8"), values=(1, 2))])
def test_inexact_literals_are_not_narrowed(expr):
    """2.5 is not an int32 and 300 not an int8: those compare in the common type."""
    arrow_expr = to_arrow_expression(expr, TABLE.schema)
    want = TABLE.filter(evaluate(expr, TABLE), null_selection_behavior="drop")
    assert plain(ds.dataset(TABLE).to_table(filter=arrow_expr)) == plain(want)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=1, max_size=30),
       st.sampled_from(["equal", "less", "greater_equal", "not_equal"]), st.integers(-5, 5))
def test_pushdown_on_row_groups_with_nulls(values, op, bound):
    table = pa.table({"v": pa.array(values, pa.int32())})
    expr = call("or", call(op, col("v"), lit(bound)), call("is_in", col("v"), values=(bound + 1, None)))
    want = table.filter(evaluate(expr, table), null_selection_behavior="drop")
    assert ds.dataset(table).to_table(filter=to_arrow_expression(expr, table.schema)).equals(want)


def test_nan_to_null_turns_only_nan_into_null():
    table = pa.table({"f": [1.0, float("nan"), None, float("inf")]})
    from kyudo.planner.evaluate import evaluate

    assert evaluate(call("nan_to_null", col("f")), table).to_pylist() == [1.0, None, None, float("inf")]


@settings(deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.sampled_from([0.5, -0.0, float("nan"), float("inf")])),
                         max_size=5), min_size=1, max_size=4),
       st.sampled_from([pa.float64(), pa.float32()]), st.integers(0, 2))
def test_nan_to_null_in_any_chunk_with_or_without_nulls(chunks, kind, offset):
    """NaN found in a later chunk, next to NULLs or after a slice's offset."""
    from kyudo.planner.evaluate import evaluate

    column = pa.chunked_array([pa.array([0.25] * offset + c, kind).slice(offset) for c in chunks], kind)
    want = [None if v is None or v != v else v for c in chunks for v in c]
    got = evaluate(call("nan_to_null", col("f")), pa.table({"f": column}))
    assert got.to_pylist() == want


# ------------------------------------------------------------------ NaN read as missing


@pytest.mark.parametrize("expr, bare", [
    (call("greater", call("nan_to_null", col("f64")), lit(0.0)), call("greater", col("f64"), lit(0.0))),
    (call("fill_null", call("less_equal", call("nan_to_null", col("f64")), lit(0.0)), lit(False)),
     call("fill_null", call("less_equal", col("f64"), lit(0.0)), lit(False))),
    (call("or", call("equal", call("nan_to_null", col("f64")), lit(0.5)),
          call("between", call("nan_to_null", col("f64")), lit(-5.0), lit(-1.0))),
     call("or", call("equal", col("f64"), lit(0.5)), call("between", col("f64"), lit(-5.0), lit(-1.0)))),
])
def test_filters_false_for_nan_are_pushed_on_the_bare_column(expr, bare):
    """Rows a filter keeps are the same with or without nan_to_null when NaN
    compares false, and the bare column is what statistics can prune with."""
    assert str(to_arrow_expression(expr, TABLE.schema)) == str(to_arrow_expression(bare, TABLE.schema))
    keep = lambda e: TABLE.filter(evaluate(e, TABLE), null_selection_behavior="drop")  # noqa: E731
    assert keep(expr).equals(keep(bare))


@pytest.mark.parametrize("expr", [
    call("is_null", call("nan_to_null", col("f64"))),
    call("fill_null", call("not_equal", call("nan_to_null", col("f64")), lit(0.5)), lit(True)),
    call("not", call("fill_null", call("greater", call("nan_to_null", col("f64")), lit(0.0)), lit(False))),
])
def test_filters_true_for_nan_are_not_pushed(expr):
    # Parquet min/max leave NaN out: pruning with these would lose the NaN rows
    assert to_arrow_expression(expr, TABLE.schema) is None
