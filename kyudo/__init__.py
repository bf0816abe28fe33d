"""kyudo: an Arrow-native, partitioned, lazy dataframe query engine.

``import kyudo.dataframe as kd`` for the pandas-like API; ``kyudo.config`` for
options such as the scheduler.
"""
# First, before anything imports pyarrow: see kyudo/allocator.py.
from kyudo import allocator  # noqa: F401  (imported for its effect)
from kyudo import config

__version__ = "0.1.0"
__all__ = ["config", "__version__"]
