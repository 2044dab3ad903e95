"""What the DuckDB staging mixins share: the warehouse methods they call, and their scratch.

Each staging ability (DynamoDB full, DynamoDB incremental, RDS) is a mixin of
:class:`DuckDBWarehouse`. The warehouse class defines ``query`` and ``execute`` itself (these
declarations are for the type checker); ``new_scratch`` and ``export_files`` are shared code.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.sources.blobs import ExportFile
from aws2bq.warehouses.base import RawFile

_counter = itertools.count(1)


class DuckDBHost:
    """The part of :class:`DuckDBWarehouse` its staging mixins rely on."""

    capabilities: ClassVar[Capabilities]
    #: The run's scratch folder (staging databases and downloaded files live under it).
    scratch: Path
    #: True: the Arrow stager (read_json only for shapes it declines); False: always read_json.
    arrow_staging: bool = True
    #: True: the Arrow stager parses with its native JSON scanner where it can.
    native_scan: bool = True
    #: Worker threads of the Arrow stager (DuckDB's ``threads``).
    threads: int = 2

    def query(self, statement: exp.Expression) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def execute(self, statement: exp.Expression) -> None:
        raise NotImplementedError

    def arrow_batches(self, statement: exp.Expression, rows: int) -> Iterator[Any]:
        """The result of ``statement`` as ``pyarrow.RecordBatch`` es of about ``rows`` rows."""
        raise NotImplementedError

    def register_arrow(self, name: str, table: Any) -> None:
        """Make an Arrow table or dataset readable as ``name`` (zero copy) until unregistered."""
        raise NotImplementedError

    def unregister_arrow(self, name: str) -> None:
        raise NotImplementedError

    def new_scratch(self, prefix: str) -> tuple[str, Path]:
        """A fresh ``(alias, folder)`` for one staging area: the alias names the attached
        scratch database, the folder holds it and the downloaded files."""
        alias = f"{prefix}_{next(_counter)}"
        folder = self.scratch / alias
        folder.mkdir(parents=True)
        return alias, folder

    @staticmethod
    def export_files(files: Sequence[RawFile]) -> list[ExportFile]:
        """The files as :class:`ExportFile` (what the DuckDB stagers download and read)."""
        export_files = [f for f in files if isinstance(f, ExportFile)]
        if len(export_files) != len(files):
            raise TypeError("the DuckDB stager reads aws2bq.sources.blobs.ExportFile objects")
        return export_files
