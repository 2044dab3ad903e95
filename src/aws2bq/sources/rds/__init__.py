"""The RDS / Aurora source: snapshot exports to S3 (Parquet, one folder per table).

``export`` reads and verifies an export task's folder; ``source`` picks the snapshot, starts
the export task and plugs the stream kind into the runner (:mod:`aws2bq.sources`).
"""
