"""aws2bq: land Amazon RDS and DynamoDB in BigQuery through the exports AWS writes to S3.

The package follows the flow of one stream (see docs/design.md):

- ``sources``    what AWS wrote: export manifests, files, verification;
- ``core``       pure logic with no I/O: type rules, naming, schema evolution, SQL generation;
- ``warehouses`` where data lands and is typed and applied (DuckDB, BigQuery);
- ``runner``     orchestration and the ledger;
- ``cli``        thin entry points (also the Lambda handlers);
- ``sandbox``    a local AWS (moto server) that writes exports exactly as AWS does.
"""

__version__ = "0.1.0"
