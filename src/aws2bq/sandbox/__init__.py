"""A local AWS for tests, the demo and newcomers: moto in server mode, patched so that
DynamoDB and RDS exports write exactly what AWS writes (see docs/export-formats.md)."""

from aws2bq.sandbox.api import ACCOUNT_ID, Sandbox

__all__ = ["ACCOUNT_ID", "Sandbox"]
