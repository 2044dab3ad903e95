"""The choices of a files load (light: the CLI imports them without pyarrow)."""

from __future__ import annotations

from enum import StrEnum


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
