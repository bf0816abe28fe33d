"""Translation of a qualified sqlglot AST into kyudo's logical plan.

One module per job: :mod:`.scope` (which columns a name can mean),
:mod:`.expressions` (scalar expressions), :mod:`.query` (SELECT blocks and
set operations), :mod:`.joins` (FROM and JOIN), :mod:`.subqueries`
(decorrelation into joins), :mod:`.aggregates` (GROUP BY, grouping sets),
:mod:`.windows` (OVER clauses), :mod:`.types` (SQL types as Arrow types).
"""
