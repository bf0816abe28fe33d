from kyudo.planner.expr import call, col, conjoin, lit
from kyudo.planner.logical import Filter, Project
from kyudo.planner.rules.merge_projections import apply
from reference import table_scan


def scan():
    return table_scan(a=[1, 2, 3], b=[4, 5, 6], c=[7, 8, 9])


def gt(name, value):
    return call("greater", col(name), lit(value))


def test_renames_compose():
    t = scan()
    plan = Project(Project(t, (("x", col("a")), ("y", col("b")))), (("z", col("x")),))
    assert apply(plan) == Project(t, (("z", col("a")),))


def test_computed_column_used_once_is_substituted():
    t = scan()
    inner = Project(t, (("s", call("add", col("a"), col("b"))), ("c", col("c"))))
    plan = Project(inner, (("t", call("multiply", col("s"), lit(2))), ("c", col("c"))))
    expected = Project(t, (("t", call("multiply", call("add", col("a"), col("b")), lit(2))),
                           ("c", col("c"))))
    assert apply(plan) == expected


def test_computed_column_used_twice_is_not_duplicated():
    t = scan()
    inner = Project(t, (("s", call("add", col("a"), col("b"))),))
    for exprs in ((("t", call("multiply", col("s"), col("s"))),),
                  (("t", col("s")), ("u", call("add", col("s"), lit(1))))):
        plan = Project(inner, exprs)
        assert apply(plan) == plan


def test_literal_used_twice_is_substituted():
    t = scan()
    inner = Project(t, (("one", lit(1)), ("a", col("a"))))
    plan = Project(inner, (("x", call("add", col("a"), col("one"))), ("y", col("one"))))
    assert apply(plan) == Project(t, (("x", call("add", col("a"), lit(1))), ("y", lit(1))))


def test_unused_inner_columns_disappear():
    t = scan()
    inner = Project(t, (("s", call("add", col("a"), col("b"))), ("c", col("c"))))
    assert apply(Project(inner, (("c", col("c")),))) == Project(t, (("c", col("c")),))


def test_three_projections_merge_into_one():
    t = scan()
    plan = Project(Project(Project(t, (("x", col("a")),)), (("y", col("x")),)), (("z", col("y")),))
    assert apply(plan) == Project(t, (("z", col("a")),))


def test_consecutive_filters_become_one_and_inner_first():
    t = scan()
    plan = Filter(Filter(Filter(t, gt("a", 1)), gt("b", 2)), gt("c", 3))
    assert apply(plan) == Filter(t, conjoin([gt("a", 1), gt("b", 2), gt("c", 3)]))


def test_filter_between_projections_blocks_merging():
    t = scan()
    plan = Project(Filter(Project(t, (("x", col("a")),)), gt("x", 1)), (("y", col("x")),))
    assert apply(plan) == plan
