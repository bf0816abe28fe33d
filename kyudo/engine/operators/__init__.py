"""Arrow kernels that tasks run: each takes and returns ``pyarrow.Table`` objects
and knows nothing about plans or dataframes."""
