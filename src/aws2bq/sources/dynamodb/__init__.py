"""The DynamoDB source: point-in-time exports (full and incremental) of one table.

``export`` reads and verifies a full export, ``incremental`` an incremental one,
``manifest`` parses their manifests, ``lines`` reads DynamoDB JSON lines, and ``source``
starts exports and plugs the stream kind into the runner (:mod:`aws2bq.sources`).
"""
