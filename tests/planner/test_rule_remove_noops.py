from kyudo.planner.expr import call, col, lit
from kyudo.planner.logical import Filter, Limit, Project
from kyudo.planner.rules.remove_noops import apply
from reference import table_scan


def scan():
    return table_scan(a=[1, 2, 3], b=[4, 5, 6])


def test_identity_project_is_removed():
    t = scan()
    assert apply(Project(t, (("a", col("a")), ("b", col("b"))))) == t


def test_renaming_reordering_or_dropping_projects_stay():
    t = scan()
    for exprs in ((("x", col("a")), ("b", col("b"))),
                  (("b", col("b")), ("a", col("a"))),
                  (("a", col("a")),)):
        plan = Project(t, exprs)
        assert apply(plan) == plan


def test_filter_on_true_is_removed_but_not_false_or_null():
    t = scan()
    assert apply(Filter(t, lit(True))) == t
    for predicate in (lit(False), lit(None), call("greater", col("a"), lit(1))):
        assert apply(Filter(t, predicate)) == Filter(t, predicate)


def test_unbounded_limit_without_offset_is_removed():
    t = scan()
    assert apply(Limit(t, None)) == t
    assert apply(Limit(t, None, 1)) == Limit(t, None, 1)
    assert apply(Limit(t, 0)) == Limit(t, 0)


def test_nested_noops_all_go():
    t = scan()
    plan = Limit(Filter(Project(t, (("a", col("a")), ("b", col("b")))), lit(True)), None)
    assert apply(plan) == t


def test_noop_below_a_real_node_goes():
    t = scan()
    plan = Filter(Filter(t, lit(True)), call("greater", col("a"), lit(1)))
    assert apply(plan) == Filter(t, call("greater", col("a"), lit(1)))
