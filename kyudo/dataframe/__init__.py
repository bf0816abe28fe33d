"""The pandas-like lazy API: ``import kyudo.dataframe as kd``."""
from kyudo.dataframe.custom_aggregation import Aggregation
from kyudo.dataframe.constructors import concat, from_arrow, from_pandas, read_parquet
from kyudo.dataframe.frame import DataFrame
from kyudo.dataframe.io_functions import (
    read_csv, read_json, read_orc, read_text, to_csv, to_json, to_parquet,
)
from kyudo.dataframe.series import Scalar, Series

from kyudo.planner.collector import freeze_imported

freeze_imported()  # last: see kyudo/planner/collector.py

__all__ = ["Aggregation", "DataFrame", "Series", "Scalar", "read_parquet", "from_pandas", "from_arrow", "concat",
           "read_csv", "read_json", "read_text", "read_orc", "to_parquet", "to_csv", "to_json"]
