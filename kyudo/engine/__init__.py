"""kyudo's execution engine: task graphs, their order, and the executors that run
them. It knows nothing about dataframes (see ARCHITECTURE.md)."""
from kyudo.engine.errors import CycleError, GraphError, MissingKeyError
from kyudo.engine.executors import Executor, compute, get_executor
from kyudo.engine.graph import Key, Ref, Task, cull, dependencies, dependents, fuse_linear
from kyudo.engine.order import order

__all__ = [
    "CycleError", "Executor", "GraphError", "Key", "MissingKeyError", "Ref", "Task",
    "compute", "cull", "dependencies", "dependents", "fuse_linear", "get_executor", "order",
]
