"""The one thing pyproject.toml cannot declare without an experimental table: the Arrow
stager's native JSON scanner (src/aws2bq/warehouses/duckdb/arrow_scan.py). It is optional:
where it cannot be compiled, pyarrow parses every chunk (slower, the same result), and
tests/unit/test_arrow_scan.py checks it is built on Linux."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "aws2bq.warehouses.duckdb._json_scan",
            sources=["src/aws2bq/warehouses/duckdb/_json_scan.c"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
