"""aws2bq: land Amazon RDS and DynamoDB in BigQuery through the exports AWS writes to S3.

The package follows the flow of one stream (trigger → verify → land → type → apply); how each
folder carries it, what it may import, and how to add a source or a warehouse:
docs/architecture.md.

- ``sources``    one folder per source (DynamoDB, RDS, S3 files): trigger, discover, verify;
- ``core``       pure logic with no I/O: type rules, naming, schema evolution, SQL generation;
- ``warehouses`` where data lands and is typed and applied (DuckDB, BigQuery);
- ``runner``     orchestration, the one apply path and the ledger;
- ``cli``        thin entry points (``lambda_handler`` is the Lambda one);
- ``sandbox``    a local AWS (moto server) that writes exports exactly as AWS does;
- ``testing``    launchers of the local emulators, kept off the runtime path.
"""

__version__ = "0.1.0"
