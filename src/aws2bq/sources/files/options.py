"""The choices of a files load (light: the CLI imports them without pyarrow)."""

from __future__ import annotations

import re
from enum import StrEnum

#: The ``source`` column of the files source's ledger rows (and its stream kind).
SOURCE = "files"

#: Destination table names both warehouses take: BigQuery's letters, marks, numbers,
#: connectors, dashes and spaces, at most 1024 bytes
#: (https://cloud.google.com/bigquery/docs/tables#table_naming).
_TABLE_NAME = re.compile(r"[\w\- ]+")
_RESERVED_PREFIX = "_aws2bq_"


def table_problem(name: str) -> str | None:
    """Why ``name`` cannot be a destination table, or None."""
    if not name or not _TABLE_NAME.fullmatch(name) or len(name.encode()) > 1024:
        return "use letters, digits, underscores, dashes or spaces (at most 1024 bytes)"
    if name.lower().startswith(_RESERVED_PREFIX):
        return "names starting with _aws2bq_ are aws2bq's own tables"
    return None


class Format(StrEnum):
    """The objects' format (``--format``); each may be gzip-compressed."""

    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


class FilesMode(StrEnum):
    """How the new objects change the table (``--mode``)."""

    APPEND = "append"
    MERGE = "merge"


class OnChanged(StrEnum):
    """What a load does about an applied object whose ETag or size changed (``--on-changed``):
    ``error`` refuses the load (nothing applied), ``warn`` names it and skips it."""

    ERROR = "error"
    WARN = "warn"
