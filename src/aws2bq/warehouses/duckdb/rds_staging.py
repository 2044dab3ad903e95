"""RDS staging for DuckDB: Parquet files → views in the run's scratch database, read natively.

Each table gets its own attached scratch database (in the run's temporary directory), as the
DynamoDB stager does; remote files are downloaded into it in parallel, streamed in 1 MiB
chunks; local files are read where they are. The Parquet files are not copied into a staging
table: DuckDB reads them directly (https://duckdb.org/docs/stable/data/parquet/overview),
once, inside the apply's ``CREATE TABLE … AS SELECT`` — which is what keeps a load close to a
bare ``read_parquet``.

Files are grouped by how they store each column (their Parquet schema, ignoring the physical
storage of a DECIMAL, which DuckDB unifies itself: INT32, INT64 and FIXED_LEN_BYTE_ARRAY
decimals of one precision/scale read as the same ``DECIMAL(p,s)``, checked here with DuckDB
2.0). A group is one view ``read_parquet([...], union_by_name = true)``; different groups (a
DATE stored as text in some files and as a Parquet DATE in others) are converted separately
and combined with UNION ALL, so no value goes through a lossy common type.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import sqlglot
import sqlglot.expressions as exp

from aws2bq.core import rds_sql
from aws2bq.core.progress import Progress
from aws2bq.core.rds_types import NumberProfile, Raw, RawType
from aws2bq.errors import ExportError, WarehouseError
from aws2bq.sources.blobs import ExportFile, fetch_all
from aws2bq.warehouses.base import RawFile, RdsStaging, StagedRdsTable, TableRef
from aws2bq.warehouses.duckdb.host import DuckDBHost

_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
_INTEGERS = frozenset(
    {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    }
)
_SIMPLE: Mapping[str, Raw] = {
    "FLOAT": Raw.FLOAT,
    "DOUBLE": Raw.FLOAT,
    "BOOLEAN": Raw.BOOL,
    "VARCHAR": Raw.STRING,
    "BLOB": Raw.BINARY,
    "DATE": Raw.DATE,
    "TIMESTAMP WITH TIME ZONE": Raw.TIMESTAMP_UTC,
    "TIMESTAMP": Raw.TIMESTAMP_LOCAL,
    "TIMESTAMP_NS": Raw.TIMESTAMP_LOCAL,
    "TIMESTAMP_MS": Raw.TIMESTAMP_LOCAL,
    "TIMESTAMP_S": Raw.TIMESTAMP_LOCAL,
    "TIME": Raw.TIME,
}


def raw_type(duckdb_type: str) -> RawType:
    """How a DuckDB type (as DESCRIBE prints it) stores a value, in the core's terms."""
    t = duckdb_type.upper().strip()
    if t in _INTEGERS:
        return RawType(Raw.INT)
    match = _DECIMAL.match(t)
    if match:
        return RawType(Raw.DECIMAL, int(match[1]), int(match[2]))
    return RawType(_SIMPLE.get(t, Raw.OTHER))


def _files_array(paths: Sequence[Path]) -> exp.Array:
    return exp.Array(expressions=[exp.Literal.string(str(p)) for p in paths])


def _parse(template: str, **values: exp.Expression) -> exp.Expression:
    tree = sqlglot.parse_one(template, read="duckdb")
    return cast(exp.Expression, exp.replace_placeholders(tree, **values))


class DuckDBRdsStaging(DuckDBHost, RdsStaging):
    """The RDS staging ability of :class:`DuckDBWarehouse` (a mixin)."""

    def stage_rds_table(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedRdsTable:
        alias, folder = self.new_scratch("aws2bq_rds_stage")
        export_files = self.export_files(files)
        progress.start("download", files=len(files), bytes=sum(f.size or 0 for f in export_files))
        local: dict[int, tuple[ExportFile, Path, int]] = {}
        remote: list[tuple[int, ExportFile]] = []
        for i, f in enumerate(export_files):
            path = f.store.local_path(f.key)
            if path is not None and f.md5_b64 is None:
                local[i] = (f, path, f.size or 0)  # nothing to verify: read in place
            else:
                remote.append((i, f))
        fetched = fetch_all(
            [f for _, f in remote],
            folder / "files",
            progress=progress,
            name_for=lambda i, f: f"{i:06d}.parquet",
        )
        for (i, _), item in zip(remote, fetched, strict=True):
            local[i] = item
        ordered = [local[i] for i in range(len(export_files))]
        self.execute(
            exp.Attach(this=exp.alias_(exp.Literal.string(str(folder / "stage.duckdb")), alias))
        )
        staged = StagedRdsTable(
            table=TableRef("g1", dataset="main", catalog=alias),
            rows_per_file={},
            bytes=sum(size for _, _, size in ordered),
            handle=alias,
        )
        if not ordered:
            return staged
        progress.start("stage", files=len(ordered))
        by_path = {str(p): f for f, p, _ in ordered}
        paths = [p for _, p, _ in ordered]
        schema_rows = self._metadata(
            "SELECT file_name, name, coalesce(logical_type, converted_type, type) "
            "FROM parquet_schema(:files) WHERE num_children IS NULL OR num_children = 0",
            ordered,
        )
        signatures: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for file_name, column, storage in schema_rows:
            signatures[str(file_name)].append((str(column), str(storage)))
        groups: dict[tuple[tuple[str, str], ...], list[Path]] = defaultdict(list)
        for path in paths:
            groups[tuple(sorted(signatures.get(str(path), [])))].append(path)
        for n, group in enumerate(groups.values(), start=1):
            view = TableRef(f"g{n}", dataset="main", catalog=alias).expression()
            read = _parse(
                "SELECT * FROM read_parquet(:files, union_by_name = TRUE)",
                files=_files_array(group),
            )
            self.execute(exp.Create(this=view, kind="VIEW", expression=read))
            described = self.query(exp.Describe(this=view.copy()))
            raws = {str(r[0]): raw_type(str(r[1])) for r in described}
            keys = tuple(by_path[str(p)].key for p in group)
            staged.sources.append(rds_sql.Source(view, raws, keys))
        rows = self._metadata(
            "SELECT file_name, num_rows FROM parquet_file_metadata(:files)", ordered
        )
        staged.rows_per_file = {by_path[str(p)].key: int(n) for p, n in rows}
        staged.details["groups"] = len(groups)
        progress.advance("stage", files=len(ordered), rows=staged.rows)
        return staged

    def _metadata(
        self, template: str, ordered: Sequence[tuple[ExportFile, Path, int]]
    ) -> list[tuple[Any, ...]]:
        """A metadata query over every file; an unreadable one → ExportError naming it."""
        try:
            return self.query(_parse(template, files=_files_array([p for _, p, _ in ordered])))
        except WarehouseError as error:
            for f, path, _ in ordered:
                try:
                    self.query(_parse(template, files=_files_array([path])))
                except WarehouseError as exc:
                    detail = exc.message
                    raise ExportError(
                        f"export {f.export}: data file {f.key} is not readable Parquet ({detail})",
                        hint="the file is truncated or corrupt; re-run the export task",
                    ) from error
            raise

    def profile_rds_numbers(
        self, staged: StagedRdsTable, columns: Sequence[str]
    ) -> dict[str, NumberProfile]:
        total: dict[str, NumberProfile] = {c: NumberProfile() for c in columns}
        for source in staged.sources:
            present = [c for c in columns if c in source.raws]
            if not present:
                continue
            row = self.query(rds_sql.profile_select(present, source.relation))[0]
            for name, p in rds_sql.read_number_profiles(present, row).items():
                total[name] = total[name].merge(p)
        return total

    def drop_rds_staging(self, staged: StagedRdsTable) -> None:
        with contextlib.suppress(WarehouseError):  # already detached
            self.execute(exp.Detach(this=exp.to_identifier(str(staged.handle)), exists=True))
        shutil.rmtree(self.scratch / str(staged.handle), ignore_errors=True)
