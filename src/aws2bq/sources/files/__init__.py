"""The files source: JSON lines, CSV and Parquet objects under an S3 prefix or in a folder.

Entry points (what ``aws2bq load files`` and a registry call):

- :func:`~aws2bq.sources.files.load.discover` — new / applied / changed objects;
- :func:`~aws2bq.sources.files.load.read_batch` — read and verify the new ones;
- :func:`~aws2bq.sources.files.load.apply_batch` — type and apply them with the ledger row;
- :func:`~aws2bq.sources.files.load.load_files` — the three in order.

See docs/files-source.md.
"""
