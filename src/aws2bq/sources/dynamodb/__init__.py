"""The DynamoDB source: point-in-time exports (full and incremental) of one table.

``config`` is the stream's ``[streams.NAME]`` model, ``export`` reads and verifies a full
export, ``incremental`` an incremental one, ``manifest`` parses their manifests, ``lines``
reads DynamoDB JSON lines, ``trigger`` starts exports, and ``source`` plugs the stream kind
into the runner (:mod:`aws2bq.sources`).
"""
