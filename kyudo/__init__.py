"""kyudo: an Arrow-native, partitioned, lazy dataframe query engine.

``import kyudo.dataframe as kd`` for the pandas-like API; ``kyudo.config`` for
options such as the scheduler.
"""
from kyudo import config

__version__ = "0.1.0"
__all__ = ["config", "__version__"]
