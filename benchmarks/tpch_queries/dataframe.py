"""TPC-H queries written against the pandas-like DataFrame API.

Each ``qN(tables)`` takes a mapping of table name -> DataFrame and returns the
query's answer: a frame whose columns match the SQL in ``sql/qN.sql`` (names and
order), or a scalar for the queries whose SQL returns one value. The functions
compute nothing themselves, so the same function runs eagerly on pandas frames (the
reference check) and lazily on kyudo or Dask frames, where the caller computes the
answer (``head`` computes at once there, as pandas users expect when peeking).

They are written the way a pandas user writes them, with the common part of the
pandas API: column selection, boolean masks, arithmetic with scalars, ``assign``,
``astype``, ``rename``, ``merge`` (inner; left in Q13, Q16 and Q22),
``groupby(keys).agg(name=(column, how))`` followed by ``reset_index()`` (the idiom
pandas and Dask both accept; Dask has no ``as_index=False``), ``sort_values``,
``head``, ``isin``, ``between``, ``round``, ``.str.startswith/endswith/contains/slice``,
``.dt.year``, and reductions (``sum``, ``mean``, ``max``) used as values: in
arithmetic (Q6, Q14, Q17, Q19) and compared with a column (Q11, Q15, Q22), which
kyudo keeps lazy. No ``apply``, no other index use. ``NOT IN``/``NOT EXISTS``
(Q16, Q22) are left merges keeping the rows without a match; Q21's ``EXISTS``
pair are per-order distinct counts. Filters and column selections come before
joins, as a careful pandas user places them, so an engine without an optimizer is
not penalised.
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


def q2(tables):
    """Minimum cost supplier: for brass parts of size 15, the European suppliers
    offering the lowest supply cost, best balances first."""
    region = tables["region"]
    region = region[region["r_name"] == "EUROPE"][["r_regionkey"]]
    nation = tables["nation"][["n_nationkey", "n_name", "n_regionkey"]]
    nation = nation.merge(region, left_on="n_regionkey", right_on="r_regionkey")
    supp = tables["supplier"].merge(nation, left_on="s_nationkey", right_on="n_nationkey")
    offers = tables["partsupp"][["ps_partkey", "ps_suppkey", "ps_supplycost"]]
    offers = offers.merge(supp, left_on="ps_suppkey", right_on="s_suppkey")
    part = tables["part"]
    part = part[(part["p_size"] == 15) & part["p_type"].str.endswith("BRASS")]
    part = part[["p_partkey", "p_mfgr"]]
    offers = part.merge(offers, left_on="p_partkey", right_on="ps_partkey")
    cheapest = offers.groupby("p_partkey").agg(min_cost=("ps_supplycost", "min")).reset_index()
    offers = offers.merge(cheapest, on="p_partkey")
    offers = offers[offers["ps_supplycost"] == offers["min_cost"]]
    offers = offers.sort_values(
        ["s_acctbal", "n_name", "s_name", "p_partkey"], ascending=[False, True, True, True]
    ).head(100)
    columns = ["s_acctbal", "s_name", "n_name", "p_partkey", "p_mfgr", "s_address", "s_phone"]
    return offers[columns + ["s_comment"]]


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


def q7(tables):
    """Volume shipping: yearly trade between France and Germany, both directions."""
    nation = tables["nation"]
    nation = nation[nation["n_name"].isin(["FRANCE", "GERMANY"])][["n_nationkey", "n_name"]]
    supp = tables["supplier"][["s_suppkey", "s_nationkey"]].merge(
        nation.rename(columns={"n_nationkey": "s_nationkey", "n_name": "supp_nation"}),
        on="s_nationkey",
    )
    cust = tables["customer"][["c_custkey", "c_nationkey"]].merge(
        nation.rename(columns={"n_nationkey": "c_nationkey", "n_name": "cust_nation"}),
        on="c_nationkey",
    )
    li = tables["lineitem"]
    li = li[li["l_shipdate"].between(date(1995, 1, 1), date(1996, 12, 31))]
    li = li.assign(volume=_revenue(li), l_year=li["l_shipdate"].dt.year)
    li = li[["l_orderkey", "l_suppkey", "volume", "l_year"]]
    orders = tables["orders"][["o_orderkey", "o_custkey"]]
    joined = li.merge(supp, left_on="l_suppkey", right_on="s_suppkey")
    joined = joined.merge(orders, left_on="l_orderkey", right_on="o_orderkey")
    joined = joined.merge(cust, left_on="o_custkey", right_on="c_custkey")
    # Both nations are France or Germany, so "different" means one of the two pairs.
    joined = joined[joined["supp_nation"] != joined["cust_nation"]]
    keys = ["supp_nation", "cust_nation", "l_year"]
    out = joined.groupby(keys).agg(revenue=("volume", "sum")).reset_index()
    return out.sort_values(keys)


def q8(tables):
    """National market share: Brazil's share of American steel part revenue per year."""
    region = tables["region"]
    region = region[region["r_name"] == "AMERICA"][["r_regionkey"]]
    nation = tables["nation"]
    america = nation.merge(region, left_on="n_regionkey", right_on="r_regionkey")[["n_nationkey"]]
    cust = tables["customer"][["c_custkey", "c_nationkey"]]
    cust = cust.merge(america, left_on="c_nationkey", right_on="n_nationkey")[["c_custkey"]]
    orders = tables["orders"]
    orders = orders[orders["o_orderdate"].between(date(1995, 1, 1), date(1996, 12, 31))]
    orders = orders.assign(o_year=orders["o_orderdate"].dt.year)
    orders = orders[["o_orderkey", "o_custkey", "o_year"]]
    part = tables["part"]
    part = part[part["p_type"] == "ECONOMY ANODIZED STEEL"][["p_partkey"]]
    li = tables["lineitem"]
    li = li.assign(volume=_revenue(li))[["l_orderkey", "l_partkey", "l_suppkey", "volume"]]
    supp = tables["supplier"][["s_suppkey", "s_nationkey"]].merge(
        nation[["n_nationkey", "n_name"]], left_on="s_nationkey", right_on="n_nationkey"
    )
    joined = li.merge(part, left_on="l_partkey", right_on="p_partkey")
    joined = joined.merge(orders, left_on="l_orderkey", right_on="o_orderkey")
    joined = joined.merge(cust, left_on="o_custkey", right_on="c_custkey")
    joined = joined.merge(supp, left_on="l_suppkey", right_on="s_suppkey")
    is_brazil = (joined["n_name"] == "BRAZIL").astype("int64")
    joined = joined.assign(brazil_volume=joined["volume"] * is_brazil)
    out = joined.groupby("o_year").agg(
        brazil_volume=("brazil_volume", "sum"), volume=("volume", "sum")
    ).reset_index()
    out = out.assign(mkt_share=out["brazil_volume"] / out["volume"])
    return out.sort_values("o_year")[["o_year", "mkt_share"]]


def q9(tables):
    """Product type profit measure: profit on green parts per supplier nation and year."""
    part = tables["part"]
    part = part[part["p_name"].str.contains("green")][["p_partkey"]]
    li = tables["lineitem"][
        ["l_orderkey", "l_partkey", "l_suppkey", "l_quantity", "l_extendedprice", "l_discount"]
    ]
    offers = tables["partsupp"][["ps_partkey", "ps_suppkey", "ps_supplycost"]]
    supp = tables["supplier"][["s_suppkey", "s_nationkey"]]
    orders = tables["orders"][["o_orderkey", "o_orderdate"]]
    nation = tables["nation"][["n_nationkey", "n_name"]].rename(columns={"n_name": "nation"})
    joined = part.merge(li, left_on="p_partkey", right_on="l_partkey")
    joined = joined.merge(
        offers, left_on=["l_partkey", "l_suppkey"], right_on=["ps_partkey", "ps_suppkey"]
    )
    joined = joined.merge(supp, left_on="l_suppkey", right_on="s_suppkey")
    joined = joined.merge(orders, left_on="l_orderkey", right_on="o_orderkey")
    joined = joined.merge(nation, left_on="s_nationkey", right_on="n_nationkey")
    joined = joined.assign(
        amount=_revenue(joined) - joined["ps_supplycost"] * joined["l_quantity"],
        o_year=joined["o_orderdate"].dt.year,
    )
    out = joined.groupby(["nation", "o_year"]).agg(sum_profit=("amount", "sum")).reset_index()
    return out.sort_values(["nation", "o_year"], ascending=[True, False])


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


def q11(tables):
    """Important stock identification: German parts whose stock value is more than
    a ten-thousandth of the German total.

    The total is a lazy scalar on kyudo (a plain float on pandas), compared with
    the per-part sums as it is.
    """
    nation = tables["nation"]
    nation = nation[nation["n_name"] == "GERMANY"][["n_nationkey"]]
    supp = tables["supplier"][["s_suppkey", "s_nationkey"]]
    supp = supp.merge(nation, left_on="s_nationkey", right_on="n_nationkey")
    stock = tables["partsupp"][["ps_partkey", "ps_suppkey", "ps_supplycost", "ps_availqty"]]
    stock = stock.merge(supp, left_on="ps_suppkey", right_on="s_suppkey")
    stock = stock.assign(value=stock["ps_supplycost"] * stock["ps_availqty"])
    threshold = stock["value"].sum() * 0.0001
    out = stock.groupby("ps_partkey").agg(value=("value", "sum")).reset_index()
    out = out[out["value"] > threshold]
    out = out.assign(value=out["value"].round(2))
    return out.sort_values("value", ascending=False)


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


def q13(tables):
    """Customer distribution: how many customers have 0, 1, 2, ... ordinary orders.

    The left join keeps customers without orders; counting ``o_orderkey`` skips the
    missing values it leaves, so those customers count 0 orders.
    """
    orders = tables["orders"]
    orders = orders[~orders["o_comment"].str.contains("special.*requests")]
    orders = orders[["o_orderkey", "o_custkey"]]
    joined = tables["customer"][["c_custkey"]].merge(
        orders, how="left", left_on="c_custkey", right_on="o_custkey"
    )
    counts = joined.groupby("c_custkey").agg(c_count=("o_orderkey", "count")).reset_index()
    out = counts.groupby("c_count").agg(custdist=("c_custkey", "count")).reset_index()
    out = out.sort_values(["custdist", "c_count"], ascending=[False, False])
    return out[["c_count", "custdist"]]


def q14(tables):
    """Promotion effect: percentage of a month's revenue from promoted parts (a scalar)."""
    li = tables["lineitem"]
    li = li[(li["l_shipdate"] >= date(1995, 9, 1)) & (li["l_shipdate"] < date(1995, 10, 1))]
    li = li.assign(revenue=_revenue(li))[["l_partkey", "revenue"]]
    part = tables["part"][["p_partkey", "p_type"]]
    joined = li.merge(part, left_on="l_partkey", right_on="p_partkey")
    promo = joined["p_type"].str.startswith("PROMO").astype("int64")
    return 100.0 * (joined["revenue"] * promo).sum() / joined["revenue"].sum()


def q15(tables):
    """Top supplier: the suppliers with the most revenue in one quarter of 1996."""
    li = tables["lineitem"]
    li = li[(li["l_shipdate"] >= date(1996, 1, 1)) & (li["l_shipdate"] < date(1996, 4, 1))]
    li = li.assign(revenue=_revenue(li))
    revenue = li.groupby("l_suppkey").agg(total_revenue=("revenue", "sum")).reset_index()
    best = revenue[revenue["total_revenue"] == revenue["total_revenue"].max()]
    supp = tables["supplier"][["s_suppkey", "s_name", "s_address", "s_phone"]]
    out = supp.merge(best, left_on="s_suppkey", right_on="l_suppkey")
    return out.sort_values("s_suppkey")[["s_suppkey", "s_name", "s_address", "s_phone", "total_revenue"]]


def q16(tables):
    """Parts/supplier relationship: suppliers able to supply parts of given sizes,
    types and brands, leaving out suppliers with customer complaints.

    ``NOT IN`` becomes a left merge with the complaining suppliers marked, then a
    filter on the mark being missing (``s_suppkey`` is never NULL, so no SQL
    ``NOT IN`` NULL subtlety applies).
    """
    part = tables["part"]
    part = part[
        (part["p_brand"] != "Brand#45")
        & ~part["p_type"].str.startswith("MEDIUM POLISHED")
        & part["p_size"].isin([49, 14, 23, 45, 19, 3, 36, 9])
    ][["p_partkey", "p_brand", "p_type", "p_size"]]
    supp = tables["supplier"]
    complaints = supp[supp["s_comment"].str.contains("Customer.*Complaints")][["s_suppkey"]]
    complaints = complaints.assign(complaint=1)
    offers = tables["partsupp"][["ps_partkey", "ps_suppkey"]]
    offers = offers.merge(complaints, how="left", left_on="ps_suppkey", right_on="s_suppkey")
    offers = offers[offers["complaint"].isna()]
    joined = part.merge(offers, left_on="p_partkey", right_on="ps_partkey")
    keys = ["p_brand", "p_type", "p_size"]
    out = joined.groupby(keys)["ps_suppkey"].nunique().rename("supplier_cnt").reset_index()
    return out.sort_values(["supplier_cnt"] + keys, ascending=[False, True, True, True])


def q17(tables):
    """Small-quantity-order revenue: yearly loss if orders below 20% of a part's
    average quantity were dropped (a scalar)."""
    part = tables["part"]
    part = part[(part["p_brand"] == "Brand#23") & (part["p_container"] == "MED BOX")]
    li = tables["lineitem"][["l_partkey", "l_quantity", "l_extendedprice"]]
    joined = li.merge(part[["p_partkey"]], left_on="l_partkey", right_on="p_partkey")
    average = joined.groupby("l_partkey").agg(avg_qty=("l_quantity", "mean")).reset_index()
    joined = joined.merge(average, on="l_partkey")
    small = joined[joined["l_quantity"] < 0.2 * joined["avg_qty"]]
    return small["l_extendedprice"].sum() / 7.0


def q18(tables):
    """Large volume customer: the hundred orders of more than 300 units, largest first.

    The per-order quantity that selects the orders is also the reported ``col6``,
    so lineitem is aggregated once and not joined again.
    """
    li = tables["lineitem"]
    per_order = li.groupby("l_orderkey").agg(col6=("l_quantity", "sum")).reset_index()
    large = per_order[per_order["col6"] > 300]
    orders = tables["orders"][["o_orderkey", "o_custkey", "o_orderdate", "o_totalprice"]]
    joined = orders.merge(large, left_on="o_orderkey", right_on="l_orderkey")
    joined = joined.merge(
        tables["customer"][["c_custkey", "c_name"]], left_on="o_custkey", right_on="c_custkey"
    )
    joined = joined.sort_values(["o_totalprice", "o_orderdate"], ascending=[False, True]).head(100)
    joined = joined.rename(columns={"o_orderdate": "o_orderdat"})
    return joined[["c_name", "c_custkey", "o_orderkey", "o_orderdat", "o_totalprice", "col6"]]


def q21(tables):
    """Suppliers who kept orders waiting: Saudi suppliers that were the only late
    supplier of a multi-supplier order.

    ``EXISTS`` another supplier on the order means the order has at least two
    distinct suppliers; ``NOT EXISTS`` another late supplier means the order's
    late lines have exactly one distinct supplier (this one): two per-order
    distinct counts joined back, no anti-join needed.
    """
    li = tables["lineitem"][["l_orderkey", "l_suppkey", "l_receiptdate", "l_commitdate"]]
    suppliers = li.groupby("l_orderkey")["l_suppkey"].nunique().rename("n_supp").reset_index()
    late = li[li["l_receiptdate"] > li["l_commitdate"]][["l_orderkey", "l_suppkey"]]
    late_suppliers = late.groupby("l_orderkey")["l_suppkey"].nunique().rename("n_late").reset_index()
    nation = tables["nation"]
    nation = nation[nation["n_name"] == "SAUDI ARABIA"][["n_nationkey"]]
    supp = tables["supplier"][["s_suppkey", "s_name", "s_nationkey"]]
    supp = supp.merge(nation, left_on="s_nationkey", right_on="n_nationkey")
    orders = tables["orders"]
    orders = orders[orders["o_orderstatus"] == "F"][["o_orderkey"]]
    joined = late.merge(supp, left_on="l_suppkey", right_on="s_suppkey")
    joined = joined.merge(orders, left_on="l_orderkey", right_on="o_orderkey")
    joined = joined.merge(suppliers[suppliers["n_supp"] > 1], on="l_orderkey")
    joined = joined.merge(late_suppliers[late_suppliers["n_late"] == 1], on="l_orderkey")
    out = joined.groupby("s_name").agg(numwait=("l_orderkey", "count")).reset_index()
    return out.sort_values(["numwait", "s_name"], ascending=[False, True]).head(100)


def q22(tables):
    """Global sales opportunity: customers of seven country codes with an above
    average balance and no orders, counted per code.

    The average is a lazy scalar on kyudo; ``NOT EXISTS`` an order becomes a left
    merge with the per-customer order counts, keeping customers without any.
    """
    cust = tables["customer"][["c_custkey", "c_phone", "c_acctbal"]]
    cust = cust.assign(cntrycode=cust["c_phone"].str.slice(0, 2))
    cust = cust[cust["cntrycode"].isin(["13", "31", "23", "29", "30", "18", "17"])]
    average = cust[cust["c_acctbal"] > 0.0]["c_acctbal"].mean()
    cust = cust[cust["c_acctbal"] > average]
    orders = tables["orders"]
    ordering = orders.groupby("o_custkey").agg(n_orders=("o_orderkey", "count")).reset_index()
    cust = cust.merge(ordering, how="left", left_on="c_custkey", right_on="o_custkey")
    cust = cust[cust["n_orders"].isna()]
    out = cust.groupby("cntrycode").agg(
        numcust=("c_custkey", "count"), totacctbal=("c_acctbal", "sum")
    ).reset_index()
    return out.sort_values("cntrycode")


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


def q20(tables):
    """Potential part promotion: Canadian suppliers holding more than half of what
    they shipped in 1994 of some forest part.

    The correlated sum becomes a group-by joined back on (part, supplier); the inner
    join also drops the offers with no 1994 shipments, whose SQL sum is NULL. The
    ``IN`` on suppliers is a join with their distinct keys, as in Q4.
    """
    part = tables["part"]
    part = part[part["p_name"].str.startswith("forest")][["p_partkey"]]
    offers = tables["partsupp"][["ps_partkey", "ps_suppkey", "ps_availqty"]]
    offers = offers.merge(part, left_on="ps_partkey", right_on="p_partkey")
    li = tables["lineitem"]
    li = li[(li["l_shipdate"] >= date(1994, 1, 1)) & (li["l_shipdate"] < date(1995, 1, 1))]
    shipped = li.groupby(["l_partkey", "l_suppkey"]).agg(shipped=("l_quantity", "sum"))
    offers = offers.merge(
        shipped.reset_index(),
        left_on=["ps_partkey", "ps_suppkey"],
        right_on=["l_partkey", "l_suppkey"],
    )
    offers = offers[offers["ps_availqty"] > 0.5 * offers["shipped"]]
    suppliers = offers.groupby("ps_suppkey").agg(n_offers=("ps_partkey", "count")).reset_index()
    nation = tables["nation"]
    nation = nation[nation["n_name"] == "CANADA"][["n_nationkey"]]
    supp = tables["supplier"].merge(nation, left_on="s_nationkey", right_on="n_nationkey")
    supp = supp.merge(suppliers, left_on="s_suppkey", right_on="ps_suppkey")
    return supp.sort_values("s_name")[["s_name", "s_address"]]


QUERIES = {
    1: q1, 2: q2, 3: q3, 4: q4, 5: q5, 6: q6, 7: q7, 8: q8, 9: q9, 10: q10, 11: q11,
    12: q12, 13: q13, 14: q14, 15: q15, 16: q16, 17: q17, 18: q18, 19: q19, 20: q20,
    21: q21, 22: q22,
}
