"""The RDS / Aurora source: snapshot exports to S3 (Parquet, one folder per table).

``config`` is the stream's ``[streams.NAME]`` model, ``discovery`` finds the export tasks
and snapshots, ``trigger`` picks the snapshot and starts the export task, ``export`` reads
and verifies an export task's folder, ``names`` names the destination tables, and
``source`` plugs the stream kind into the runner (:mod:`aws2bq.sources`).
"""
