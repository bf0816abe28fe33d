"""Translation of a qualified sqlglot AST into kyudo's logical plan.

One module per job: :mod:`.query` (CTEs, set operations, FROM items, ORDER BY,
LIMIT), :mod:`.select` (one SELECT block), :mod:`.joins` (FROM and JOIN),
:mod:`.subqueries` (decorrelation into joins), :mod:`.aggregates` (GROUP BY,
grouping sets), :mod:`.windows` (OVER clauses), :mod:`.expressions` (scalar
expressions), :mod:`.scope` (which column a name means), :mod:`.relation` (what
a query translates to), :mod:`.types` (SQL types as Arrow types).
"""
