"""resample against pandas: fixed frequencies of any width with pandas' origins,
calendar rules (days, weeks, months, quarters, years), business days and
business months, quarters and years, time zones with clock changes, several
partitions (some empty), NULLs, one-row frames and ``.agg``."""
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
    for rule in ("C", "bh", "CBME", "CBMS"):  # custom business days and months, business hours
        with pytest.raises(NotImplementedError, match=f"'{rule}'"):
            df.resample(rule)
    with pytest.raises(NotImplementedError, match="'BME': closed= and label="):
        df.resample("BME", closed="left")
    with pytest.raises(NotImplementedError, match="'B': origin= and offset="):
        df.resample("B", origin="epoch")
    with pytest.raises(ValueError, match="closed must be"):
        df.resample("B", closed="middle")
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


# ---- business days ("B", "3B") and business months, quarters and years ----------

ALL_METHODS = METHODS + ["std", "var", "median"]
BUSINESS_DAYS = ["B", "2B", "3B", "5B", "7B"]
BUSINESS_PERIODS = ["BME", "BMS", "2BME", "3BMS", "BQE", "BQS", "BQE-FEB", "BQS-MAY", "2BQE", "BYE", "BYS",
                    "BYE-MAR", "2BYS"]


def weekend_heavy(start: str, periods: int, step: str, tz: str | None = None, seed: int = 5) -> pd.DataFrame:
    """``frame`` with a NULLable Int64 column, times that often land on
    weekends and exactly on midnights."""
    pdf = frame(start, periods, step, tz=tz, seed=seed)
    pdf["i"] = pd.array(np.arange(periods) * 3 - 40, dtype="Int64")
    pdf.loc[pdf.index % 7 == 3, "i"] = pd.NA
    return pdf


@pytest.mark.parametrize("npartitions", [1, 4, 9])
@pytest.mark.parametrize("rule", BUSINESS_DAYS)
def test_business_days(rule, npartitions):
    # steps of 0-4 times 6h from a Wednesday evening: weekends, midnights, gaps of days
    pdf = frame("2024-01-03 18:00", 90, "6h")
    check(pdf, npartitions, rule, methods=ALL_METHODS)
    check(pdf, npartitions, rule, methods=["sum", "count", "first", "max"], closed="right")


@pytest.mark.parametrize("closed", [None, "left", "right"])
@pytest.mark.parametrize("label", [None, "left", "right"])
@pytest.mark.parametrize("rule", ["B", "2B", "3B"])
def test_closed_and_label_of_business_days(rule, closed, label):
    # closed on the right, pandas reports every bin from the first time's day
    # less one bin to the last time's day plus one bin: empty bins at both ends
    pdf = frame("2024-03-01", 60, "1D")  # every time a midnight, some on weekends
    check(pdf, 5, rule, methods=["sum", "count", "mean", "last"], closed=closed, label=label)
    noon = frame("2024-03-01 12:00", 30, "13h")
    check(noon, 3, rule, methods=["sum", "min"], closed=closed, label=label)


@pytest.mark.parametrize("start", ["2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08"])  # Fri to Mon
@pytest.mark.parametrize("rule", ["B", "2B", "3B"])
def test_business_days_from_each_weekday(start, rule):
    # data starting on a Saturday (or Sunday) counts from the Friday before; a
    # multiple counts its bins from the first time's business day
    for at in ("00:00", "09:30"):
        pdf = frame(f"{start} {at}", 40, "5h", seed=8)
        for closed in (None, "right"):
            check(pdf, 3, rule, methods=["sum", "count", "first"], closed=closed)


@pytest.mark.parametrize("rule", ["B", "2B", "3B"])
@pytest.mark.parametrize("closed", [None, "right"])
def test_weekend_only_data(rule, closed):
    saturdays = pd.date_range("2024-01-06", periods=8, freq="7D")
    times = saturdays.append(saturdays + pd.Timedelta("1D 13h")).append(saturdays + pd.Timedelta("1D")).sort_values()
    pdf = pd.DataFrame({"ts": times, "x": np.arange(len(times), dtype=float), "n": np.arange(len(times)) % 5})
    check(pdf, 4, rule, methods=["sum", "count", "mean", "last"], closed=closed)
    for one in ("2024-01-06 10:00", "2024-01-07 00:00", "2024-01-08 00:00", "2024-01-09 17:45"):
        row = pd.DataFrame({"ts": [pd.Timestamp(one)], "x": [1.5], "n": [7]})
        check(row, 1, rule, methods=["sum", "max", "count"], closed=closed)
        check(row, 1, rule, methods=["sum"], closed=closed, label="right")


def test_business_days_gaps_of_weeks_across_partitions():
    # bursts of rows with gaps of several weeks: the empty business days
    # between bursts are filled, also across partition boundaries
    bursts = [pd.date_range(day, periods=9, freq="11h") for day in
              ("2023-12-28", "2024-02-10", "2024-02-13", "2024-04-19 17:00", "2024-07-01")]
    times = bursts[0].append(bursts[1:])
    pdf = pd.DataFrame({"ts": times, "x": np.arange(len(times)) * 0.5, "n": np.arange(len(times)) % 4})
    df = kd.from_pandas(pdf, npartitions=7).set_index("ts", sorted=True)
    indexed = pdf.set_index("ts")
    with kyudo.config.set(partition_size=16):
        for rule in ("B", "2B", "3B", "BME", "BMS"):
            for closed in ((None, "right") if "M" not in rule else (None,)):
                result = df.resample(rule, closed=closed).sum()
                if rule in ("B", "BME", "BMS") or closed == "right":
                    assert result.npartitions > 1
                assert_eq(result, indexed.resample(rule, closed=closed).sum(), check_freq=False)
                assert_eq(df.resample(rule, closed=closed).count(), indexed.resample(rule, closed=closed).count(),
                          check_freq=False)


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"])
@pytest.mark.parametrize("rule", ["B", "2B", "3B", "BME", "BMS", "BQE"])
def test_business_rules_in_time_zones(tz, rule):
    # local business days and months; 2024's clock changes on both sides
    for start in ("2024-03-07 18:00", "2024-10-24 23:00"):
        pdf = frame(start, 70, "9h", tz=tz)
        check(pdf, 4, rule, methods=["sum", "count", "first"])
        if "M" not in rule and "Q" not in rule:
            check(pdf, 4, rule, methods=["sum", "count"], closed="right")
            check(pdf, 4, rule, methods=["sum"], closed="right", label="right")


@pytest.mark.parametrize("tz", ["Europe/Berlin", "UTC"])
@pytest.mark.parametrize("rule", ["D", "2D", "3D"])
def test_days_in_a_time_zone_closed_on_the_right(tz, rule):
    # pandas bins zoned days like business days, with an empty first bin
    pdf = frame("2024-03-28 10:00", 40, "7h", tz=tz)
    for label in (None, "right"):
        check(pdf, 3, rule, methods=["sum", "count", "last"], closed="right", label=label)


def test_business_days_with_nulls_one_row_and_no_rows():
    pdf = weekend_heavy("2024-05-30 22:00", 70, "8h")
    pdf.loc[[2, 3, 30], "n"] = None  # NULL ints: pandas makes them float64
    df = kd.from_pandas(pdf, npartitions=6)
    indexed = pdf.set_index("ts")
    sparse = df[(df.x > 0.3) | (df.ts < pdf.ts[4])].set_index("ts", sorted=True)  # partitions left empty
    expected = indexed[(indexed.x > 0.3) | (indexed.index < pdf.ts[4])]
    for rule in ("B", "3B", "BME"):
        for closed in ((None, "right") if rule != "BME" else (None,)):
            for method in ALL_METHODS:
                # kyudo's sum and mean of a nullable Int64 are int64/float64 (as its groupby's); pandas keeps Int64
                columns = ["x", "n", "i"] if method in ("min", "max", "first", "last") else ["x", "n"]
                assert_eq(getattr(sparse[columns].resample(rule, closed=closed), method)(),
                          getattr(expected[columns].resample(rule, closed=closed), method)(), check_freq=False)
    for position in (0, 1, 5):  # a Thursday, a Friday night, a Sunday
        one = indexed.iloc[[position]]
        for rule in ("B", "2B", "BME", "BMS"):
            for closed in ((None, "right") if "M" not in rule else (None,)):
                assert_eq(kd.from_pandas(one).resample(rule, closed=closed).max(),
                          one.resample(rule, closed=closed).max(), check_freq=False)
                assert_eq(kd.from_pandas(one[["x", "n"]]).resample(rule, closed=closed).sum(),
                          one[["x", "n"]].resample(rule, closed=closed).sum(), check_freq=False)
    none = df[df.x > 1000].set_index("ts", sorted=True)
    for rule, closed in (("B", None), ("B", "right"), ("3B", "right"), ("BME", None)):
        assert len(none.resample(rule, closed=closed).sum().compute()) == 0


def test_missing_times_are_in_no_business_day():
    pdf = frame("2024-01-04", 30, "9h")
    pdf.loc[[0, 11, 29], "ts"] = pd.NaT
    df = kd.from_pandas(pdf, npartitions=3)
    for rule, closed in (("B", None), ("2B", "right"), ("BMS", None)):
        with_nat = df.set_index("ts", sorted=False).resample(rule, closed=closed).sum()
        assert_eq(with_nat, pdf.set_index("ts").sort_index().resample(rule, closed=closed).sum(), check_freq=False)


@pytest.mark.parametrize("npartitions", [1, 5])
@pytest.mark.parametrize("rule", BUSINESS_PERIODS)
def test_business_months_quarters_and_years(rule, npartitions):
    # month ends and starts on weekends (2024-03-30/31, 2024-06-01/02, 2024-08-31):
    # those days belong to the neighbouring business month
    check(frame("2023-10-20 17:00", 120, "23h"), npartitions, rule, methods=ALL_METHODS)
    check(frame("2019-11-29 09:00", 80, "5D"), npartitions, rule, methods=["sum", "count"])


def test_business_rules_agg():
    pdf = weekend_heavy("2024-02-22 05:00", 70, "9h")
    df = kd.from_pandas(pdf, npartitions=6).set_index("ts", sorted=True)
    indexed = pdf.set_index("ts")
    for rule, closed in (("B", None), ("3B", None), ("2B", "right"), ("BME", None), ("BQS", None)):
        for spec in (["sum", "mean", "count", "std"], {"x": "median", "n": "max"},
                     {"x": ["min", "last", "var"], "n": "sum"}, "first"):
            assert_eq(df[["x", "n"]].resample(rule, closed=closed).agg(spec),
                      indexed[["x", "n"]].resample(rule, closed=closed).agg(spec), check_freq=False)
        assert_eq(df.x.resample(rule, closed=closed).agg(["sum", "max", "median"]),
                  indexed.x.resample(rule, closed=closed).agg(["sum", "max", "median"]), check_freq=False)
        for method in ALL_METHODS:
            assert_eq(getattr(df.x.resample(rule, closed=closed), method)(),
                      getattr(indexed.x.resample(rule, closed=closed), method)(), check_freq=False)


def test_business_day_measure_is_pandas_rolling():
    # time_measure/time_label on the business scales are BDay/BMonthEnd/BMonthBegin rolling
    import pyarrow as pa

    from kyudo.planner.expr import Call, Col
    from kyudo.planner.functions import FUNCTIONS

    days = pd.date_range("1968-12-20", "1971-02-03", freq="D").append(pd.date_range("2023-12-20", "2025-01-10"))
    ts = pa.array(days.as_unit("us") + pd.Timedelta("13h"))

    def rolled(kind, roll, end):
        options = (("kind", kind), ("roll", roll))
        counts = FUNCTIONS["time_measure"].apply([ts], [ts.type], Call("time_measure", (Col("t"),), options))
        options = (("kind", kind), ("unit", "us"), ("tz", None), ("end", end))
        labels = FUNCTIONS["time_label"].apply([counts], [counts.type], Call("time_label", (Col("c"),), options))
        return pd.DatetimeIndex(labels.to_pandas())

    for kind, roll, end, offset, how in (
            ("bday", "backward", False, pd.offsets.BDay(), "rollback"),
            ("bday", "forward", False, pd.offsets.BDay(), "rollforward"),
            ("bmonth", "forward", True, pd.offsets.BMonthEnd(), "rollforward"),
            ("bmonth", "backward", False, pd.offsets.BMonthBegin(), "rollback")):
        expected = pd.DatetimeIndex([getattr(offset, how)(d) for d in days]).as_unit("us")
        assert (rolled(kind, roll, end) == expected).all(), (kind, roll)


_BUSINESS_RULES = st.sampled_from(["B", "2B", "3B", "4B", "B", "BME", "BMS", "BQE", "2BME"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.integers(0, 6000), min_size=1, max_size=40), rule=_BUSINESS_RULES,
       closed=st.sampled_from([None, "left", "right"]), label=st.sampled_from([None, "left", "right"]),
       tz=st.sampled_from([None, "Europe/Berlin", "America/Sao_Paulo", "Asia/Kolkata"]),
       npartitions=st.integers(1, 6), start=st.integers(0, 400), midnight=st.booleans(), data=st.data())
def test_property_business_resample_matches_pandas(steps, rule, closed, label, tz, npartitions, start, midnight,
                                                   data):
    unit = "h" if midnight else "min"  # whole hours put many times on midnights
    times = pd.Timestamp("2023-01-01") + pd.Timedelta(days=start) + pd.to_timedelta(np.cumsum(steps), unit=unit)
    if tz is not None:
        times = times.tz_localize("UTC").tz_convert(tz)
    if "M" in rule or "Q" in rule:
        closed = label = None  # other choices are unsupported for business months (see test_unsupported...)
    values = data.draw(st.lists(st.one_of(st.none(), st.floats(-100, 100, allow_nan=False)),
                                min_size=len(steps), max_size=len(steps)))
    pdf = pd.DataFrame({"ts": times, "x": pd.Series(values, dtype="float64").to_numpy()})
    df = kd.from_pandas(pdf, npartitions=npartitions).set_index("ts", sorted=True)
    indexed = pdf.set_index("ts")
    for method in ("sum", "count", "first", "mean"):
        assert_eq(getattr(df.resample(rule, closed=closed, label=label), method)(),
                  getattr(indexed.resample(rule, closed=closed, label=label), method)(), check_freq=False)
