"""TPC-H queries written against the pandas-like DataFrame API.

Each ``qN(tables)`` takes a mapping of table name -> DataFrame and returns the
query's answer: a frame whose columns match the SQL in ``sql/qN.sql`` (names and
order), or a scalar for the queries whose SQL returns one value. Nothing is
computed here, so the same function runs eagerly on pandas frames (the reference
check) and lazily on kyudo or Dask frames (the caller then calls ``.compute()``).

They are written the way a pandas user writes them, but only with the part of the
pandas API that kyudo supports first: column selection, boolean masks, arithmetic
with scalars, ``assign``, ``astype``, ``merge``, ``groupby(keys).agg(name=(col, how))``
followed by ``reset_index()`` (the idiom pandas and Dask both accept; Dask has no
``as_index=False``), ``sort_values``, ``head``, ``isin``, ``between``,
``.str.startswith`` and Series reductions. No ``apply``, no other index use.
Filters and column selections are placed before joins the way a careful pandas
user would, so pandas and an optimizer-less engine are not penalised.
"""

from __future__ import annotations

from datetime import date


def _revenue(frame):
    """``l_extendedprice * (1 - l_discount)``, the discounted price most queries sum."""
    return frame["l_extendedprice"] * (1 - frame["l_discount"])


def q1(tables):
    """Pricing summary report: totals per return flag and line status."""
    li = tables["lineitem"]
    li = li[li["l_shipdate"] <= date(1998, 9, 2)]
    li = li.assign(disc_price=_revenue(li))
    li = li.assign(charge=li["disc_price"] * (1 + li["l_tax"]))
    out = li.groupby(["l_returnflag", "l_linestatus"]).agg(
        sum_qty=("l_quantity", "sum"),
        sum_base_price=("l_extendedprice", "sum"),
        sum_disc_price=("disc_price", "sum"),
        sum_charge=("charge", "sum"),
        avg_qty=("l_quantity", "mean"),
        avg_price=("l_extendedprice", "mean"),
        avg_disc=("l_discount", "mean"),
        count_order=("l_quantity", "count"),
    ).reset_index()
    return out.sort_values(["l_returnflag", "l_linestatus"])


def q3(tables):
    """Shipping priority: the ten unshipped orders of most value in one segment."""
    cust = tables["customer"]
    cust = cust[cust["c_mktsegment"] == "BUILDING"][["c_custkey"]]
    orders = tables["orders"]
    orders = orders[orders["o_orderdate"] < date(1995, 3, 15)]
    orders = orders[["o_orderkey", "o_custkey", "o_orderdate", "o_shippriority"]]
    li = tables["lineitem"]
    li = li[li["l_shipdate"] > date(1995, 3, 15)]
    li = li.assign(revenue=_revenue(li))[["l_orderkey", "revenue"]]
    joined = cust.merge(orders, left_on="c_custkey", right_on="o_custkey")
    joined = joined.merge(li, left_on="o_orderkey", right_on="l_orderkey")
    out = joined.groupby(["l_orderkey", "o_orderdate", "o_shippriority"]).agg(
        revenue=("revenue", "sum")
    ).reset_index()
    out = out.sort_values(["revenue", "o_orderdate"], ascending=[False, True]).head(10)
    return out[["l_orderkey", "revenue", "o_orderdate", "o_shippriority"]]


def q4(tables):
    """Order priority checking: orders of a quarter with at least one late line.

    SQL's ``EXISTS`` becomes a join with the distinct keys of the late lines; the
    group-by on ``l_orderkey`` is what makes those keys distinct.
    """
    orders = tables["orders"]
    orders = orders[
        (orders["o_orderdate"] >= date(1993, 7, 1)) & (orders["o_orderdate"] < date(1993, 10, 1))
    ]
    li = tables["lineitem"]
    late = li[li["l_commitdate"] < li["l_receiptdate"]]
    late = late.groupby("l_orderkey").agg(late_lines=("l_linenumber", "count"))
    late = late.reset_index()
    joined = orders.merge(late, left_on="o_orderkey", right_on="l_orderkey")
    out = joined.groupby("o_orderpriority").agg(order_count=("o_orderkey", "count"))
    out = out.reset_index()
    return out.sort_values("o_orderpriority")


def q5(tables):
    """Local supplier volume: revenue in Asia from customers and suppliers of one nation."""
    region = tables["region"]
    region = region[region["r_name"] == "ASIA"][["r_regionkey"]]
    nation = tables["nation"][["n_nationkey", "n_name", "n_regionkey"]]
    nation = nation.merge(region, left_on="n_regionkey", right_on="r_regionkey")
    orders = tables["orders"]
    orders = orders[
        (orders["o_orderdate"] >= date(1994, 1, 1)) & (orders["o_orderdate"] < date(1995, 1, 1))
    ][["o_orderkey", "o_custkey"]]
    cust = tables["customer"][["c_custkey", "c_nationkey"]]
    supp = tables["supplier"][["s_suppkey", "s_nationkey"]]
    li = tables["lineitem"]
    li = li.assign(revenue=_revenue(li))[["l_orderkey", "l_suppkey", "revenue"]]
    joined = cust.merge(orders, left_on="c_custkey", right_on="o_custkey")
    joined = joined.merge(li, left_on="o_orderkey", right_on="l_orderkey")
    joined = joined.merge(
        supp, left_on=["l_suppkey", "c_nationkey"], right_on=["s_suppkey", "s_nationkey"]
    )
    joined = joined.merge(nation, left_on="s_nationkey", right_on="n_nationkey")
    out = joined.groupby("n_name").agg(revenue=("revenue", "sum")).reset_index()
    return out.sort_values("revenue", ascending=False)


def q6(tables):
    """Forecasting revenue change: revenue gained without small discounts (a scalar)."""
    li = tables["lineitem"]
    li = li[
        (li["l_shipdate"] >= date(1994, 1, 1))
        & (li["l_shipdate"] < date(1995, 1, 1))
        & li["l_discount"].between(0.05, 0.07)
        & (li["l_quantity"] < 24)
    ]
    return (li["l_extendedprice"] * li["l_discount"]).sum()


def q10(tables):
    """Returned item reporting: the twenty customers who lost most revenue to returns."""
    orders = tables["orders"]
    orders = orders[
        (orders["o_orderdate"] >= date(1993, 10, 1)) & (orders["o_orderdate"] < date(1994, 1, 1))
    ][["o_orderkey", "o_custkey"]]
    li = tables["lineitem"]
    li = li[li["l_returnflag"] == "R"]
    li = li.assign(revenue=_revenue(li))[["l_orderkey", "revenue"]]
    cust = tables["customer"]
    nation = tables["nation"][["n_nationkey", "n_name"]]
    joined = cust.merge(orders, left_on="c_custkey", right_on="o_custkey")
    joined = joined.merge(li, left_on="o_orderkey", right_on="l_orderkey")
    joined = joined.merge(nation, left_on="c_nationkey", right_on="n_nationkey")
    keys = ["c_custkey", "c_name", "c_acctbal", "c_phone", "n_name", "c_address", "c_comment"]
    out = joined.groupby(keys).agg(revenue=("revenue", "sum")).reset_index()
    out = out.sort_values("revenue", ascending=False).head(20)
    columns = ["c_custkey", "c_name", "revenue", "c_acctbal", "n_name", "c_address", "c_phone"]
    return out[columns + ["c_comment"]]


def q12(tables):
    """Shipping modes and order priority: late lines per mode, urgent versus not."""
    li = tables["lineitem"]
    li = li[
        li["l_shipmode"].isin(["MAIL", "SHIP"])
        & (li["l_commitdate"] < li["l_receiptdate"])
        & (li["l_shipdate"] < li["l_commitdate"])
        & (li["l_receiptdate"] >= date(1994, 1, 1))
        & (li["l_receiptdate"] < date(1995, 1, 1))
    ][["l_orderkey", "l_shipmode"]]
    orders = tables["orders"][["o_orderkey", "o_orderpriority"]]
    joined = li.merge(orders, left_on="l_orderkey", right_on="o_orderkey")
    urgent = joined["o_orderpriority"].isin(["1-URGENT", "2-HIGH"])
    joined = joined.assign(high=urgent.astype("int64"), low=(~urgent).astype("int64"))
    out = joined.groupby("l_shipmode").agg(
        high_line_count=("high", "sum"), low_line_count=("low", "sum")
    ).reset_index()
    return out.sort_values("l_shipmode")


def q14(tables):
    """Promotion effect: percentage of a month's revenue from promoted parts (a scalar)."""
    li = tables["lineitem"]
    li = li[(li["l_shipdate"] >= date(1995, 9, 1)) & (li["l_shipdate"] < date(1995, 10, 1))]
    li = li.assign(revenue=_revenue(li))[["l_partkey", "revenue"]]
    part = tables["part"][["p_partkey", "p_type"]]
    joined = li.merge(part, left_on="l_partkey", right_on="p_partkey")
    promo = joined["p_type"].str.startswith("PROMO").astype("int64")
    return 100.0 * (joined["revenue"] * promo).sum() / joined["revenue"].sum()


# Q19's three alternatives: brand, containers, quantity range, largest size.
_Q19_CASES = (
    ("Brand#12", ["SM CASE", "SM BOX", "SM PACK", "SM PKG"], 1, 11, 5),
    ("Brand#23", ["MED BAG", "MED BOX", "MED PKG", "MED PACK"], 10, 20, 10),
    ("Brand#34", ["LG CASE", "LG BOX", "LG PACK", "LG PKG"], 20, 30, 15),
)


def q19(tables):
    """Discounted revenue: lines of three brand/container/size/quantity profiles (a scalar).

    The conditions common to the three alternatives are applied before the join.
    """
    li = tables["lineitem"]
    li = li[
        li["l_shipmode"].isin(["AIR", "AIR REG"]) & (li["l_shipinstruct"] == "DELIVER IN PERSON")
    ]
    part = tables["part"][["p_partkey", "p_brand", "p_container", "p_size"]]
    joined = li.merge(part, left_on="l_partkey", right_on="p_partkey")
    chosen = None
    for brand, containers, qty_low, qty_high, max_size in _Q19_CASES:
        case = (
            (joined["p_brand"] == brand)
            & joined["p_container"].isin(containers)
            & joined["l_quantity"].between(qty_low, qty_high)
            & joined["p_size"].between(1, max_size)
        )
        chosen = case if chosen is None else chosen | case
    return _revenue(joined[chosen]).sum()


QUERIES = {1: q1, 3: q3, 4: q4, 5: q5, 6: q6, 10: q10, 12: q12, 14: q14, 19: q19}
