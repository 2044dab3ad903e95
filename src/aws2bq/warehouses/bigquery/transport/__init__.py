"""The S3 → GCS → BigQuery path (transport "gcs"): no bytes through the runner's load jobs.

- :mod:`.landing` — one export's files land in the staging bucket (the runner's parallel
  streaming copy, or a Storage Transfer Service job), verified against the manifest,
  resumable, and deleted once applied.
- :mod:`.sts` — the Storage Transfer Service job for an export's exact file list.
- :mod:`.staging` — load jobs from ``gs://`` into staging tables, few per table, resumable.
- :mod:`.gcs` — the Cloud Storage client, staged objects, the lifecycle rule.

Which route an export takes is data: :func:`aws2bq.core.transport.choose_route`.
"""
