"""RDS staging for BigQuery: each Parquet file of a table loaded by a load job, grouped by schema.

Files are downloaded (in parallel, MD5-verified, 1 MiB chunks) to the run's temporary folder,
because a Parquet file's schema and row count sit in its footer, at the end. Files that store
every column the same way form a group; each group gets a staging table
``_aws2bq_rds_<stream>_<random>_g<n>`` created through the API with the files' own column
order and types (a DECIMAL lands as NUMERIC or BIGNUMERIC, whichever holds it — BigQuery's
``decimalTargetTypes``), then the group's files, joined row group by row group into one
Parquet file, are appended by ONE load job (few jobs per table: see :mod:`.staging`). The row
count per file comes from the footer. The core's RDS SQL (:mod:`aws2bq.core.rds_sql`, BigQuery
templates) types the rows; number text is profiled here in BigQuery SQL.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import IO, Any

import sqlglot.expressions as exp

from aws2bq.core import rds_sql
from aws2bq.core.naming import staging_names
from aws2bq.core.progress import Progress
from aws2bq.core.rds_types import NumberProfile, Raw, RawType
from aws2bq.errors import ExportError
from aws2bq.warehouses.base import RawFile, RdsStaging, StagedRdsTable, TableRef
from aws2bq.warehouses.bigquery.dynamodb_sql import _fill
from aws2bq.warehouses.bigquery.host import BigQueryHost

_PLAIN_NUMBER = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"


def parquet_footer(source: Any, key: str) -> tuple[tuple[tuple[str, str], ...], Any, int]:
    """(how the file stores each column, its Arrow schema, its row count) from the footer of
    a Parquet file (a path or a seekable reader); ``ExportError`` naming ``key`` if it is not
    readable Parquet."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(source)
        schema = meta.schema_arrow
        rows = int(meta.metadata.num_rows)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise ExportError(
            f"data file {key} is not readable Parquet ({exc})",
            hint="the file is truncated or corrupt; re-run the export task",
        ) from exc
    return tuple((field.name, str(field.type)) for field in schema), schema, rows


def _open_binary(path: Path) -> IO[bytes]:
    return path.open("rb")


def join_parquet(paths: Sequence[Any], out: Path, names: Mapping[str, str] | None = None) -> Path:
    """Write the row groups of ``paths`` (one schema; paths or seekable readers) into one
    Parquet file ``out``, one row group at a time (memory: one row group), each column
    renamed by ``names`` (source name → staging name, :func:`aws2bq.core.naming
    .staging_names`) when given."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for path in paths:
            source = pq.ParquetFile(path)
            schema = source.schema_arrow
            if names:
                schema = pa.schema([f.with_name(names.get(f.name, f.name)) for f in schema])
            if writer is None:
                writer = pq.ParquetWriter(out, schema)
            for i in range(source.num_row_groups):
                group = source.read_row_group(i)
                writer.write_table(group.rename_columns(schema.names) if names else group)
    finally:
        if writer is not None:
            writer.close()
    return out


def staging_columns(schema: Any) -> tuple[list[tuple[str, str, RawType]], dict[str, str]]:
    """(per Parquet column: its source name, BigQuery staging type and storage; the staging
    names that differ from the source names). BigQuery loads Parquet under the classic
    column names only, matched ignoring case (:func:`aws2bq.core.naming.staging_names`)."""
    columns = [(fld.name, *bigquery_column(fld.type)) for fld in schema]
    names = staging_names([name for name, _, _ in columns])
    return columns, {k: v for k, v in names.items() if k != v}


def bigquery_column(arrow_type: Any) -> tuple[str, RawType]:
    """(BigQuery staging type, how the file stores the value) of one Parquet column."""
    import pyarrow as pa

    t = pa.types
    if t.is_integer(arrow_type):
        return "INT64", RawType(Raw.INT)
    if t.is_decimal(arrow_type):
        p, s = arrow_type.precision, arrow_type.scale
        # decimalTargetTypes order NUMERIC → BIGNUMERIC → STRING (export-formats.md §3).
        if p - s <= 29 and s <= 9:
            return "NUMERIC", RawType(Raw.DECIMAL, p, s)
        if p - s <= 38 and s <= 38:
            return "BIGNUMERIC", RawType(Raw.DECIMAL, p, s)
        return "STRING", RawType(Raw.STRING)
    if t.is_floating(arrow_type):
        return "FLOAT64", RawType(Raw.FLOAT)
    if t.is_boolean(arrow_type):
        return "BOOL", RawType(Raw.BOOL)
    if t.is_string(arrow_type) or t.is_large_string(arrow_type):
        return "STRING", RawType(Raw.STRING)
    if (
        t.is_binary(arrow_type)
        or t.is_large_binary(arrow_type)
        or t.is_fixed_size_binary(arrow_type)
    ):
        return "BYTES", RawType(Raw.BINARY)
    if t.is_date(arrow_type):
        return "DATE", RawType(Raw.DATE)
    if t.is_timestamp(arrow_type):
        if arrow_type.tz is not None:
            return "TIMESTAMP", RawType(Raw.TIMESTAMP_UTC)
        return "DATETIME", RawType(Raw.TIMESTAMP_LOCAL)
    if t.is_time(arrow_type):
        return "TIME", RawType(Raw.TIME)
    return "STRING", RawType(Raw.OTHER)


class BigQueryRdsStaging(BigQueryHost, RdsStaging):
    """The RDS staging ability of :class:`BigQueryWarehouse` (a mixin)."""

    def stage_rds_table(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedRdsTable:
        from google.cloud import bigquery

        from aws2bq.warehouses.bigquery.transport.gcs import staged_objects

        if (objects := staged_objects(files)) is not None:  # landed in GCS: load by URI
            return self.stage_rds_from_gcs(objects, stream=stream, progress=progress)
        base = f"_aws2bq_rds_{re.sub(r'[^A-Za-z0-9_]', '_', stream)[:64]}_{uuid.uuid4().hex[:12]}"
        staged = StagedRdsTable(
            table=self.qualified(TableRef(base + "_g1")),
            rows_per_file={},
            bytes=sum(f.size or 0 for f in files),
            handle=[],
        )
        if not files:
            return staged
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=self.config.staging_expiration_hours)
        with tempfile.TemporaryDirectory(prefix="aws2bq-bq-rds-") as tmp:
            progress.start("download", files=len(files), bytes=staged.bytes)

            def fetch(item: tuple[int, RawFile]) -> Path:
                i, f = item
                path = Path(tmp) / f"{i:06d}.parquet"
                f.download_to(path, progress=progress)
                return path

            with ThreadPoolExecutor(max_workers=self.config.parallel_loads) as pool:
                paths = list(pool.map(fetch, enumerate(files)))
            groups: dict[tuple[tuple[str, str], ...], list[tuple[RawFile, Path]]] = defaultdict(
                list
            )
            schemas: dict[tuple[tuple[str, str], ...], Any] = {}
            counts: dict[str, int] = {}
            for f, path in zip(files, paths, strict=True):
                signature, schema, counts[f.key] = parquet_footer(path, f.key)
                groups[signature].append((f, path))
                schemas[signature] = schema
            staged.rows_per_file = counts
            progress.start("stage", files=len(files), rows=staged.rows)
            tables: list[TableRef] = []
            staged.handle = tables
            try:
                for n, (signature, members) in enumerate(groups.items(), start=1):
                    table = self.qualified(TableRef(f"{base}_g{n}"))
                    columns, renamed = staging_columns(schemas[signature])
                    self.create_table(
                        table,
                        [
                            bigquery.SchemaField(renamed.get(name, name), bq)
                            for name, bq, _ in columns
                        ],
                        description=f"aws2bq RDS staging for stream {stream}",
                        expires=expires,
                    )
                    tables.append(table)
                    config = bigquery.LoadJobConfig(
                        source_format=bigquery.SourceFormat.PARQUET,
                        write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
                        create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
                        decimal_target_types=["NUMERIC", "BIGNUMERIC", "STRING"],
                    )
                    # One load job per group (few jobs per table: quotas in staging.py): the
                    # group's files joined into one Parquet file, row group by row group,
                    # columns BigQuery cannot load under their own names renamed.
                    paths_of = [path for _, path in members]
                    upload = paths_of[0] if len(paths_of) == 1 and not renamed else join_parquet(
                        paths_of, Path(tmp) / f"group{n}.parquet", renamed
                    )  # fmt: skip
                    keys = [f.key for f, _ in members]
                    # No size: always the resumable upload (the emulator rejects the
                    # multipart one the client picks for files under 5 MiB).
                    loaded = self.load_from(
                        partial(_open_binary, upload),
                        table,
                        config,
                        what=f"load of export file(s) {', '.join(keys[:3])}"
                        + (f" and {len(keys) - 3} more" if len(keys) > 3 else ""),
                        sources=keys,
                    )
                    if loaded != sum(counts[k] for k in keys):
                        raise ExportError(
                            f"BigQuery loaded {loaded} rows from data file(s) {', '.join(keys)}, "
                            f"whose footers declare {sum(counts[k] for k in keys)}",
                            hint="re-run the load; if it persists, check the export's files",
                        )
                    for key in keys:
                        progress.advance("stage", files=1, rows=counts[key])
                    staged.sources.append(
                        rds_sql.Source(
                            table.expression(),
                            {name: raw for name, _, raw in columns},
                            tuple(f.key for f, _ in members),
                            renamed,
                        )
                    )
            except BaseException:
                self.drop_rds_staging(staged)
                raise
        staged.table = tables[0]
        staged.details["groups"] = len(tables)
        return staged

    def profile_rds_numbers(
        self, staged: StagedRdsTable, columns: Sequence[str]
    ) -> dict[str, NumberProfile]:
        total: dict[str, NumberProfile] = {c: NumberProfile() for c in columns}
        for source in staged.sources:
            present = [c for c in columns if c in source.raws]
            if not present:
                continue
            staged_as = [source.staged_names.get(c, c) for c in present]
            row = self.query(profile_select(staged_as, source.relation))[0]
            for name, p in rds_sql.read_number_profiles(present, row).items():
                total[name] = total[name].merge(p)
        return total

    def drop_rds_staging(self, staged: StagedRdsTable) -> None:
        for table in list(staged.handle or []):
            self.drop_table(table)


def profile_select(columns: Sequence[str], relation: exp.Expression) -> exp.Select:
    """BigQuery: per column, (count, max integer digits, max scale, max written scale,
    non-plain-number count) of its values as text — the shape of the core's DuckDB query."""
    projections: list[exp.Expression] = []
    pattern = exp.Literal.string(_PLAIN_NUMBER)
    for name in columns:
        text = _fill("CAST(__c__ AS STRING)", c=exp.column(name, quoted=True))
        plain = _fill("REGEXP_CONTAINS(__t__, __p__)", t=text, p=pattern)
        number = _fill("IF(__ok__, __t__, NULL)", ok=plain, t=text)
        i = _fill("LTRIM(REGEXP_EXTRACT(__n__, r'^[+-]?([0-9]*)'), '0')", n=number)
        f = _fill("RTRIM(IFNULL(REGEXP_EXTRACT(__n__, r'[.]([0-9]*)'), ''), '0')", n=number)
        e = _fill(
            "IFNULL(SAFE_CAST(REGEXP_EXTRACT(__n__, r'[eE]([+-]?[0-9]+)$') AS INT64), 0)", n=number
        )
        digits = _fill("CONCAT(__i__, __f__)", i=i, f=f)
        point = _fill("LENGTH(__i__) + __e__", i=i, e=e)
        int_digits = _fill(
            "IF(LTRIM(__d__, '0') = '', 0, "
            "GREATEST(__p__ - (LENGTH(__d__) - LENGTH(LTRIM(__d__, '0'))), 0))",
            d=digits,
            p=point,
        )
        scale = _fill(
            "IF(LTRIM(__d__, '0') = '', 0, GREATEST(LENGTH(RTRIM(__d__, '0')) - __p__, 0))",
            d=digits,
            p=point,
        )
        written = _fill("LENGTH(IFNULL(REGEXP_EXTRACT(__n__, r'[.]([0-9]*)'), ''))", n=number)
        projections += [
            _fill("COUNT(__t__)", t=text),
            _fill("IFNULL(MAX(__x__), 0)", x=int_digits),
            _fill("IFNULL(MAX(__x__), 0)", x=scale),
            _fill("IFNULL(MAX(__x__), 0)", x=written),
            _fill("COUNTIF(__t__ IS NOT NULL AND NOT __ok__)", t=text, ok=plain),
        ]
    return exp.select(*projections).from_(relation.copy())
