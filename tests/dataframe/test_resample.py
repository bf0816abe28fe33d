"""resample against pandas: fixed frequencies of any width with pandas' origins,
calendar rules (days, weeks, months, quarters, years), time zones with clock
changes, several partitions (some empty), NULLs, one-row frames and ``.agg``."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kyudo
import kyudo.dataframe as kd
from kyudo.testing import assert_eq

METHODS = ["sum", "mean", "min", "max", "count", "first", "last"]
FIXED = ["7h", "90min", "2D", "25h", "7min", "3D", "45s"]
CALENDAR = ["D", "W", "W-WED", "ME", "MS", "QE", "QS", "YE", "YS", "QE-JAN", "2W", "2ME", "3MS", "2QE"]


def frame(start: str, periods: int, step: str, tz: str | None = None, seed: int = 3) -> pd.DataFrame:
    """Irregular times (each step a random multiple of ``step``), floats with
    NaN, ints, nullable ints."""
    rng = np.random.default_rng(seed)
    times = pd.Timestamp(start) + pd.to_timedelta(np.cumsum(rng.integers(0, 5, periods)), unit="s") * \
        (pd.Timedelta(step) / pd.Timedelta("1s"))
    if tz is not None:
        times = times.tz_localize(tz)
    return pd.DataFrame({
        "ts": times,
        "x": np.where(rng.random(periods) < 0.2, np.nan, rng.normal(size=periods).round(3)),
        "n": rng.integers(-50, 50, periods),
    })


def check(pdf: pd.DataFrame, npartitions: int, rule, methods=METHODS, **options) -> None:
    df = kd.from_pandas(pdf, npartitions=npartitions).set_index("ts", sorted=True)
    indexed = pdf.set_index("ts")
    for method in methods:
        expected = getattr(indexed.resample(rule, **options), method)()
        assert_eq(getattr(df.resample(rule, **options), method)(), expected, check_freq=False)


@pytest.mark.parametrize("npartitions", [1, 4, 13])
@pytest.mark.parametrize("rule", FIXED)
def test_fixed_frequencies_of_any_width(rule, npartitions):
    check(frame("2024-01-01 09:13:07", 60, "37min"), npartitions, rule)


@pytest.mark.parametrize("npartitions", [1, 5])
@pytest.mark.parametrize("rule", CALENDAR)
def test_calendar_rules(rule, npartitions):
    check(frame("2023-11-20 17:00", 80, "29h"), npartitions, rule)


# (origin="end"/"end_day" with an offset: pandas 3.0 itself fails, "Values falls before first bin")
@pytest.mark.parametrize("origin, offset", [
    (origin, offset) for origin in ["start_day", "start", "epoch", pd.Timestamp("2023-12-31 23:20")]
    for offset in [None, "2h", "-25min"]] + [("end", None), ("end_day", None)])
def test_origin_and_offset(origin, offset):
    check(frame("2024-01-01 09:13:07", 50, "23min"), 4, "7h", methods=["sum", "count", "first"],
          origin=origin, offset=offset)


@pytest.mark.parametrize("closed", ["left", "right"])
@pytest.mark.parametrize("label", ["left", "right"])
def test_closed_and_label_of_fixed_frequencies(closed, label):
    pdf = frame("2024-01-01 00:00", 60, "30min")  # many times exactly on bin edges
    for rule in ("1h", "90min", "2D"):
        check(pdf, 5, rule, methods=["sum", "count", "max"], closed=closed, label=label)


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("rule", ["1h", "2h", "7h", "90min", "D", "2D", "W", "ME", "MS", "QS"])
def test_time_zones_in_local_wall_time(tz, rule):
    check(frame("2024-01-20 22:00", 60, "31h", tz=tz), 4, rule, methods=["sum", "count", "last"])


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("rule", ["D", "1h", "2h", "3h", "5h", "6h", "12h", "2D"])
def test_days_with_clock_changes(tz, rule):
    # hours around both of 2024's clock changes: day bins of 23 and 25 hours
    for start in ("2024-03-09 18:00", "2024-03-30 18:00", "2024-10-26 18:00", "2024-11-02 18:00"):
        times = pd.date_range(pd.Timestamp(start, tz=tz), periods=80, freq="37min")
        pdf = pd.DataFrame({"ts": times, "x": np.arange(80.0), "n": np.arange(80) % 7})
        check(pdf, 6, rule, methods=["sum", "count", "first"])


def test_dst_day_bins_are_23_and_25_hours_long():
    times = pd.date_range(pd.Timestamp("2024-03-30", tz="Europe/Berlin"), periods=72, freq="h")
    pdf = pd.DataFrame({"ts": times, "one": 1})
    df = kd.from_pandas(pdf, npartitions=5).set_index("ts", sorted=True)
    result = df.resample("D").sum().compute()
    assert result.one.tolist() == [24, 23, 24, 1]
    assert_eq(df.resample("D").sum(), pdf.set_index("ts").resample("D").sum(), check_freq=False)


def test_agg_with_several_functions():
    pdf = frame("2024-02-27 05:00", 70, "41min")
    df = kd.from_pandas(pdf, npartitions=6).set_index("ts", sorted=True)
    indexed = pdf.set_index("ts")
    for rule in ("3h", "D", "ME"):
        for spec in (["sum", "mean", "count"], {"x": "mean", "n": "max"}, {"x": ["min", "last"], "n": "sum"},
                     "first"):
            assert_eq(df.resample(rule).agg(spec), indexed.resample(rule).agg(spec), check_freq=False)
        assert_eq(df.x.resample(rule).agg(["sum", "max"]), indexed.x.resample(rule).agg(["sum", "max"]),
                  check_freq=False)
        assert_eq(df.n.resample(rule).agg("count"), indexed.n.resample(rule).agg("count"), check_freq=False)
    with pytest.raises(ValueError, match="unknown resample aggregation"):
        df.resample("1h").agg(["sum", "bogus"])


def test_empty_partitions_nulls_and_one_row():
    pdf = frame("2024-01-01", 60, "53min")
    pdf.loc[[3, 4, 5, 40], "n"] = None  # NULL ints: pandas makes them float64
    pdf["i"] = pd.array(np.arange(60), dtype="Int64")
    pdf.loc[[7, 8], "i"] = pd.NA
    df = kd.from_pandas(pdf, npartitions=12)
    indexed = pdf.set_index("ts")
    sparse = df[(df.x > 0.5) | (df.ts < pdf.ts[5])].set_index("ts", sorted=True)  # partitions left empty
    expected = indexed[(indexed.x > 0.5) | (indexed.index < pdf.ts[5])]
    for rule in ("5h", "D", "W", "MS"):
        for method in METHODS:
            # kyudo's sum and mean of a nullable Int64 are int64/float64 (as its groupby's); pandas keeps Int64
            columns = ["x", "n", "i"] if method in ("min", "max", "first", "last") else ["x", "n"]
            assert_eq(getattr(sparse[columns].resample(rule), method)(),
                      getattr(expected[columns].resample(rule), method)(), check_freq=False)
    one = indexed.iloc[[9]]
    for rule in ("7h", "D", "ME"):
        assert_eq(kd.from_pandas(one).resample(rule).max(), one.resample(rule).max(), check_freq=False)
        assert_eq(kd.from_pandas(one[["x", "n"]]).resample(rule).sum(), one[["x", "n"]].resample(rule).sum(),
                  check_freq=False)
        none = df[df.n > 1000].set_index("ts", sorted=True)
        assert len(none.resample(rule).sum().compute()) == 0


def test_missing_times_are_in_no_bin():
    pdf = frame("2024-01-01", 30, "2h")
    pdf.loc[[0, 11, 29], "ts"] = pd.NaT
    df = kd.from_pandas(pdf, npartitions=3)
    for rule in ("5h", "D", "W"):
        with_nat = df.set_index("ts", sorted=False).resample(rule).sum()
        assert_eq(with_nat, pdf.set_index("ts").sort_index().resample(rule).sum(), check_freq=False)


def test_bins_spread_over_partitions_and_fill_gaps_between_them():
    pdf = frame("2020-01-01", 60, "3D")
    df = kd.from_pandas(pdf, npartitions=8).set_index("ts", sorted=True)
    with kyudo.config.set(partition_size=8):
        for rule in ("2D", "W", "ME", "7h"):
            result = df.resample(rule).sum()
            assert result.npartitions > 1
            assert_eq(result, pdf.set_index("ts").resample(rule).sum(), check_freq=False)


def test_unsupported_rules_say_which():
    df = kd.from_pandas(frame("2024-01-01", 10, "1h"), npartitions=2).set_index("ts", sorted=True)
    with pytest.raises(NotImplementedError, match="'BME'"):
        df.resample("BME")
    with pytest.raises(NotImplementedError, match="'ME': origin= and offset="):
        df.resample("ME", offset="1h")
    with pytest.raises(NotImplementedError, match="'W'"):
        df.resample("W", closed="left")
    with pytest.raises(ValueError, match="origin must be"):
        df.resample("1h", origin="sometime")


_RULES = st.sampled_from(["1h", "7h", "13min", "2D", "D", "W", "W-MON", "ME", "MS", "QE", "YS", "2ME", "5D"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.integers(0, 4000), min_size=1, max_size=40), rule=_RULES,
       tz=st.sampled_from([None, "Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe"]),
       npartitions=st.integers(1, 6), start=st.integers(0, 400), data=st.data())
def test_property_resample_matches_pandas(steps, rule, tz, npartitions, start, data):
    times = pd.Timestamp("2023-01-01") + pd.Timedelta(days=start) + pd.to_timedelta(np.cumsum(steps), unit="min")
    if tz is not None:
        times = times.tz_localize("UTC").tz_convert(tz)
    values = data.draw(st.lists(st.one_of(st.none(), st.floats(-100, 100, allow_nan=False)),
                                min_size=len(steps), max_size=len(steps)))
    pdf = pd.DataFrame({"ts": times, "x": pd.Series(values, dtype="float64").to_numpy()})
    df = kd.from_pandas(pdf, npartitions=npartitions).set_index("ts", sorted=True)
    indexed = pdf.set_index("ts")
    for method in ("sum", "count", "first"):
        assert_eq(getattr(df.resample(rule), method)(), getattr(indexed.resample(rule), method)(), check_freq=False)


@pytest.mark.parametrize("tz", [None, "America/New_York"])
def test_times_before_1970(tz):
    # bins are floor divisions of counts since 1970, negative here
    pdf = frame("1969-11-20 17:00", 50, "13h", tz=tz)
    for rule in ("D", "7h", "W", "ME", "QS", "2D"):
        check(pdf, 3, rule, methods=["sum", "count"])
    check(pdf, 3, "7h", methods=["sum"], origin="epoch")
