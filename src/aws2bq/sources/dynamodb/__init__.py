"""The DynamoDB source: point-in-time exports (full and incremental) of one table.

``config`` is the stream's ``[streams.NAME]`` model, ``discovery`` finds the table and its
exports, ``trigger`` starts exports, ``export`` reads and verifies a full export,
``incremental`` an incremental one, ``manifest`` parses their manifests, ``lines`` reads
DynamoDB JSON lines, and ``source`` plugs the stream kind into the runner
(:mod:`aws2bq.sources`).
"""
