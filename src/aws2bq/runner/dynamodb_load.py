"""``aws2bq load dynamodb``: check the request, then load a full or an incremental export.

The full-export loader (:mod:`aws2bq.runner.dynamodb_full_load`) and the incremental one
(:mod:`aws2bq.runner.dynamodb_incremental_load`) do not import each other: this module
chooses between them by the export's own manifest.
"""

from __future__ import annotations

import re

from aws2bq.core.apply import NEW_SUFFIX
from aws2bq.core.progress import NullProgress, Progress
from aws2bq.errors import ConfigError
from aws2bq.runner.dynamodb_full_load import load_full_export
from aws2bq.runner.dynamodb_incremental_load import load_incremental_export

# Re-exported: callers import the request and the report with load_dynamodb.
from aws2bq.runner.dynamodb_request import DynamoDBLoadRequest as DynamoDBLoadRequest
from aws2bq.runner.dynamodb_request import LoadReport as LoadReport
from aws2bq.warehouses import parse_url
from aws2bq.warehouses.base import Warehouse

# BigQuery table names: letters, marks, numbers, connectors, dashes, spaces; ≤1024 bytes.
_TABLE_NAME = re.compile(r"[\w\- ]+")


def _check_table_name(name: str) -> None:
    if not name or not _TABLE_NAME.fullmatch(name) or len(name.encode()) > 1024:
        raise ConfigError(
            f"invalid table name {name!r}",
            hint="use letters, digits, underscores, dashes or spaces (≤1024 bytes)",
        )
    if name.lower().startswith("_aws2bq_") or name.lower().endswith(NEW_SUFFIX):
        raise ConfigError(f"table name {name!r} is reserved for aws2bq's own tables")


def load_dynamodb(
    request: DynamoDBLoadRequest,
    *,
    progress: Progress | None = None,
    warehouse: Warehouse | None = None,
) -> LoadReport:
    """Apply one DynamoDB export (full or incremental) to ``request.table``.

    Usage errors (``ConfigError``: the warehouse URL, the table name) come before anything
    is read; then the export's manifest says which loader applies it.
    """
    progress = progress or NullProgress()
    from aws2bq.sources.dynamodb.incremental import INCREMENTAL, export_type

    if warehouse is None:
        parse_url(request.warehouse)
    _check_table_name(request.table)
    if export_type(request.export, request.aws) == INCREMENTAL:
        return load_incremental_export(request, progress=progress, warehouse=warehouse)
    return load_full_export(request, progress=progress, warehouse=warehouse)
