"""Runnable examples (``python -m examples.<name>``): TPC-H data generation and an ETL job.

This is a package so the scripts can import each other and so tests and benchmarks
can reuse :mod:`examples.make_tpch` to create their data.
"""
