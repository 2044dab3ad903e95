"""The RDS / Aurora source: snapshot exports to S3 (Parquet, one folder per table).

``config`` is the stream's ``[streams.NAME]`` model, ``export`` reads and verifies an export
task's folder, ``names`` names the destination tables, ``trigger`` picks the snapshot and
starts the export task, and ``source`` plugs the stream kind into the runner
(:mod:`aws2bq.sources`).
"""
