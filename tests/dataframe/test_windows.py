"""map_overlap and rolling against pandas on one whole frame, with partitions far
smaller than the windows so rows come from several neighbours."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kyudo.dataframe as kd
from kyudo.planner.compile import physical_plan
from kyudo.planner.physical import to_graph
from kyudo.testing import assert_eq

METHODS = ["sum", "mean", "min", "max", "std", "count"]


@pytest.fixture
def pdf() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 40
    steps = rng.integers(1, 90, n)
    return pd.DataFrame({
        "ts": pd.Timestamp("2024-01-01 09:00") + pd.to_timedelta(np.cumsum(steps), unit="min"),
        "x": [np.nan if i % 6 == 2 else float(v) for i, v in enumerate(rng.normal(size=n).round(3))],
        "n": rng.integers(-50, 50, n),
    })


@pytest.mark.parametrize("npartitions", [1, 7, 40])
@pytest.mark.parametrize("method", METHODS)
def test_rolling_by_count(pdf, npartitions, method):
    df = kd.from_pandas(pdf[["x", "n"]], npartitions=npartitions)
    assert_eq(getattr(df.rolling(6), method)(), getattr(pdf[["x", "n"]].rolling(6), method)())
    assert_eq(getattr(df.rolling(4, min_periods=2, center=True), method)(),
              getattr(pdf[["x", "n"]].rolling(4, min_periods=2, center=True), method)())


@pytest.mark.parametrize("method", METHODS)
def test_rolling_by_time_on_a_sorted_time_index(pdf, method):
    df = kd.from_pandas(pdf, npartitions=13).set_index("ts", sorted=True)
    indexed = pdf.set_index("ts")
    for window in ("3h", pd.Timedelta("45min")):
        assert_eq(getattr(df.rolling(window), method)(), getattr(indexed.rolling(window), method)())


@pytest.mark.parametrize("npartitions", [1, 7, 40])
@pytest.mark.parametrize("method", METHODS)
def test_centred_rolling_by_time_across_partitions(pdf, npartitions, method):
    df = kd.from_pandas(pdf, npartitions=npartitions).set_index("ts", sorted=True)
    indexed = pdf.set_index("ts")
    for window in ("2h", pd.Timedelta("45min"), "7h", "1min"):
        assert_eq(getattr(df.rolling(window, center=True), method)(),
                  getattr(indexed.rolling(window, center=True), method)())
    assert_eq(getattr(df.rolling("3h", center=True, min_periods=3), method)(),
              getattr(indexed.rolling("3h", center=True, min_periods=3), method)())


@pytest.mark.parametrize("closed", ["right", "left", "both", "neither"])
def test_rolling_closed_with_and_without_centre(closed):
    # windows whose ends fall exactly on rows: 30-minute steps, a 1h window
    index = pd.date_range("2024-03-01", periods=24, freq="30min").delete([5, 6, 13])
    pdf = pd.DataFrame({"x": np.arange(21, dtype="float64") ** 1.5, "n": np.arange(21) % 4}, index=index)
    pdf.loc[pdf.index[[3, 10]], "x"] = np.nan
    df = kd.from_pandas(pdf, npartitions=9)
    for center in (False, True):
        for window in ("1h", "2h", "90min"):
            expected = pdf.rolling(window, center=center, closed=closed)
            rolling = df.rolling(window, center=center, closed=closed)
            assert_eq(rolling.sum(), expected.sum())
            assert_eq(rolling.count(), expected.count())
            assert_eq(rolling.max(), expected.max())
            assert_eq(df.x.rolling(window, center=center, closed=closed).mean(),
                      pdf.x.rolling(window, center=center, closed=closed).mean())
    # a row-count window closed on the left also takes the row ``window`` back
    assert_eq(df.rolling(3, closed=closed).sum(), pdf.rolling(3, closed=closed).sum())


def test_centred_time_window_with_duplicates_empty_partitions_and_one_row(pdf):
    doubled = pd.concat([pdf, pdf.iloc[::3]]).sort_values("ts", kind="mergesort")
    df = kd.from_pandas(doubled, npartitions=11)
    sparse = df[(df.n > 10) | (df.ts < pdf.ts[2])].set_index("ts", sorted=True)  # partitions left empty
    expected = doubled[(doubled.n > 10) | (doubled.ts < pdf.ts[2])].set_index("ts")
    assert_eq(sparse.rolling("3h", center=True).sum(), expected.rolling("3h", center=True).sum())
    assert_eq(sparse.x.rolling("100min", center=True).count(), expected.x.rolling("100min", center=True).count())
    one = pdf.iloc[:1].set_index("ts")
    assert_eq(kd.from_pandas(one).rolling("1h", center=True).sum(), one.rolling("1h", center=True).sum())
    none = df[df.n > 1000].set_index("ts", sorted=True)
    assert_eq(none.rolling("1h", center=True).mean(),
              doubled[doubled.n > 1000].set_index("ts").rolling("1h", center=True).mean())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.integers(0, 50), min_size=1, max_size=30), window=st.integers(1, 120),
       closed=st.sampled_from(["right", "left", "both", "neither"]), npartitions=st.integers(1, 8),
       center=st.booleans(), data=st.data())
def test_property_time_windows_match_pandas(steps, window, closed, npartitions, center, data):
    values = data.draw(st.lists(st.one_of(st.none(), st.floats(-100, 100, allow_nan=False)),
                                min_size=len(steps), max_size=len(steps)))
    index = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.cumsum(steps), unit="min")
    pdf = pd.DataFrame({"x": pd.Series(values, dtype="float64").to_numpy()}, index=index)
    df = kd.from_pandas(pdf, npartitions=npartitions)
    w = pd.Timedelta(window, unit="min")
    assert_eq(df.rolling(w, center=center, closed=closed).sum(), pdf.rolling(w, center=center, closed=closed).sum())
    assert_eq(df.rolling(w, center=center, closed=closed, min_periods=2).count(),
              pdf.rolling(w, center=center, closed=closed, min_periods=2).count())


def test_rolling_apply_with_numba(pdf):
    df = kd.from_pandas(pdf, npartitions=9).set_index("ts", sorted=True)
    indexed = pdf.set_index("ts")

    def spread(values):
        return values.max() - values.min()

    assert_eq(df.rolling(5).apply(spread, raw=True, engine="numba"),
              indexed.rolling(5).apply(spread, raw=True, engine="numba"))
    assert_eq(df.rolling("2h").apply(spread, raw=True, engine="numba"),
              indexed.rolling("2h").apply(spread, raw=True, engine="numba"))


def test_map_overlap_reaches_across_many_partitions(pdf):
    df = kd.from_pandas(pdf, npartitions=20)
    assert_eq(df.map_overlap(lambda p: p[["x", "n"]].diff(5), before=5), pdf[["x", "n"]].diff(5))
    assert_eq(df.map_overlap(lambda p: p[["x"]].shift(-7), before=0, after=7), pdf[["x"]].shift(-7))
    centred = lambda p: p[["n"]].rolling(9, center=True, min_periods=1).sum()  # noqa: E731
    assert_eq(df.map_overlap(centred, before=4, after=4), centred(pdf))


def test_map_overlap_by_timedelta_with_empty_partitions(pdf):
    df = kd.from_pandas(pdf, npartitions=10)
    sparse = df[(df.n > 0) | (df.ts < pdf.ts[3])].set_index("ts", sorted=True)
    expected = pdf[(pdf.n > 0) | (pdf.ts < pdf.ts[3])].set_index("ts")

    def forward_sum(p):
        # sum of x over the next 2 hours, from the reversed frame's rolling window
        rev = p.iloc[::-1]
        rev.index = pd.Timestamp("2100-01-01") - rev.index
        out = rev[["x"]].rolling("2h").sum().iloc[::-1]
        out.index = p.index
        return out

    assert_eq(sparse.map_overlap(forward_sum, before=0, after="2h"), forward_sum(expected))
    assert_eq(sparse.map_overlap(lambda p: p[["n"]].rolling("5h").max(), before="5h"),
              expected[["n"]].rolling("5h").max())


def test_one_row_partitions_and_empty_frames(pdf):
    one = pdf.iloc[:1].set_index("ts")
    assert_eq(kd.from_pandas(one).rolling("1h").sum(), one.rolling("1h").sum())
    df = kd.from_pandas(pdf, npartitions=4)
    assert_eq(df[df.n > 1000][["x"]].rolling(3).mean(), pdf[pdf.n > 1000][["x"]].rolling(3).mean())


def test_overlap_chain_has_one_carry_task_per_partition(pdf):
    df = kd.from_pandas(pdf[["x"]], npartitions=10)
    graph, _ = to_graph(physical_plan(df.rolling(30).sum().plan))
    carries = [k for k in graph if isinstance(k, tuple) and "carry" in k[0]]
    assert len(carries) == 9  # reaching 29 rows back over 4-row partitions, still one link each


def test_map_overlap_errors(pdf):
    df = kd.from_pandas(pdf, npartitions=3)
    with pytest.raises(ValueError, match="one row per input row"):
        df.map_overlap(lambda p: p.head(1), before=1, meta=pdf).compute()
    with pytest.raises(ValueError, match="timedelta window needs a frame indexed"):
        df.rolling("1h").sum()
    with pytest.raises(ValueError, match="both be row counts or both timedeltas"):
        df.set_index("ts", sorted=True).map_overlap(lambda p: p, before="1h", after=2)
    with pytest.raises(ValueError, match="window must be"):
        df.rolling(0)
    with pytest.raises(ValueError, match="closed must be"):
        df.rolling(3, closed="middle")


@pytest.mark.parametrize("method", METHODS + ["var", "first", "last"])
def test_resample_on_a_sorted_time_index(pdf, method):
    df = kd.from_pandas(pdf, npartitions=6).set_index("ts", sorted=True)
    indexed = pdf.set_index("ts")
    for rule in ("1h", "20min", "1D"):
        assert_eq(getattr(df.resample(rule), method)(), getattr(indexed.resample(rule), method)(),
                  check_freq=False)


def test_resample_fills_empty_bins_between_partitions(pdf):
    import kyudo

    df = kd.from_pandas(pdf, npartitions=8).set_index("ts", sorted=True)
    indexed = pdf.set_index("ts")
    with kyudo.config.set(partition_size=8):  # the aggregation spreads over several partitions
        result = df.resample("10min").sum()
        assert result.npartitions > 1
        assert_eq(result, indexed.resample("10min").sum(), check_freq=False)
    utc = pdf.assign(ts=pdf.ts.dt.tz_localize("UTC"))
    assert_eq(kd.from_pandas(utc, 3).set_index("ts", sorted=True).resample("2h").mean(),
              utc.set_index("ts").resample("2h").mean(), check_freq=False)
    assert_eq(df[df.n > 100].resample("1h").count(), indexed[indexed.n > 100].resample("1h").count(),
              check_freq=False)
    assert_eq(df.resample("7min").sum(), indexed.resample("7min").sum(), check_freq=False)
    with pytest.raises(TypeError, match="timestamp column"):
        kd.from_pandas(pdf).resample("1h")


def test_series_rolling_and_resample(pdf):
    df = kd.from_pandas(pdf, npartitions=5).set_index("ts", sorted=True)
    indexed = pdf.set_index("ts")
    assert_eq(df.x.rolling(4).mean(), indexed.x.rolling(4).mean())
    assert_eq(df.n.rolling("90min").max(), indexed.n.rolling("90min").max())
    assert_eq((df.x * 2).rolling(3, min_periods=1).sum(), (indexed.x * 2).rolling(3, min_periods=1).sum())
    assert_eq(df.n.resample("1h").sum(), indexed.n.resample("1h").sum(), check_freq=False)


def test_windows_after_a_range_sorted_set_index(pdf):
    shuffled = pdf.sample(frac=1.0, random_state=2)
    df = kd.from_pandas(shuffled, npartitions=5).set_index("ts")  # split points found while running
    indexed = pdf.set_index("ts")
    assert_eq(df.rolling("2h").mean(), indexed.rolling("2h").mean())
    assert_eq(df.x.rolling(5).sum(), indexed.x.rolling(5).sum())
    assert_eq(df.resample("30min").sum(), indexed.resample("30min").sum(), check_freq=False)


def test_two_windows_over_one_frame_are_different_plans(pdf):
    df = kd.from_pandas(pdf[["x", "n"]], npartitions=3)
    sums, means = df.rolling(3).sum(), df.rolling(3).mean()
    assert sums.plan != means.plan
    with pytest.raises(ValueError, match="different frame"):
        sums[means.x > 0]
