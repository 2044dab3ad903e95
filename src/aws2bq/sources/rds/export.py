"""RDS / Aurora snapshot exports: find one, read its metadata, check every table is complete.

EXPORT is the export task's folder (``s3://bucket/prefix/<ExportTaskIdentifier>/``) or a
local copy of it (docs/export-formats.md §2)::

    export_info_<id>.json
    export_tables_info_<id>_from_<N>_to_<M>.json            (one or more)
    <db>/<db>.<table>/<partition>/part-….gz.parquet          MySQL
    <db>/<schema>.<table>/<partition>/part-….gz.parquet      PostgreSQL

The export as a whole must be COMPLETE. Each table is checked on its own
(:attr:`RdsTable.problem`): a table AWS skipped, whose status is not COMPLETE, whose
partitions are incomplete, or whose files are missing is refused with AWS's reason, and the
other tables still load. Every Parquet file under a table's folder is read whatever the
partition layout and file names (AWS has changed them before).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from aws2bq.aws_clients import AwsTarget
from aws2bq.core.rds_types import Engine, SourceColumn
from aws2bq.errors import Aws2BqError, ConfigError, ExportError, ExportNotReadyError
from aws2bq.sources.blobs import BlobStore, ExportFile, LocalStore, S3Store

_INFO = re.compile(r"(^|/)export_info_(.+)\.json$")
_TABLES_INFO = re.compile(r"(^|/)export_tables_info_(.+)_from_(\d+)_to_(\d+)\.json$")
_PART_NUMBER = re.compile(r"^part-(\d+)-")
_PARQUET = (".parquet", ".parquet.gz")


@dataclass(frozen=True)
class RdsTable:
    """One table of an export: its metadata, its files, and why it cannot load (if so)."""

    #: ``db.table`` (MySQL) or ``db.schema.table`` (PostgreSQL), as tables_info names it.
    target: str
    database: str
    schema: str | None
    name: str
    columns: tuple[SourceColumn, ...]
    files: tuple[ExportFile, ...]
    status: str
    partitions: int
    #: None if the table can be loaded, else what is wrong (AWS's reason when it gave one).
    problem: str | None = None
    #: AWS left the table out of the export (names it cannot export, rows too large): it is
    #: not part of the snapshot, rather than a broken part of it.
    skipped: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def folder_names(self) -> tuple[str, ...]:
        return tuple(p for p in (self.database, self.schema, self.name) if p is not None)


@dataclass(frozen=True)
class RdsExport:
    """A COMPLETE RDS export: its info, and every table with its own verdict."""

    store: BlobStore
    folder: str
    export_id: str
    source_arn: str
    snapshot_time: datetime
    engine: Engine
    tables: tuple[RdsTable, ...]
    info: dict[str, Any]

    @property
    def location(self) -> str:
        return self.store.url(self.folder)

    def table(self, target: str) -> RdsTable:
        for t in self.tables:
            if t.target == target:
                return t
        raise KeyError(target)


def open_location(export: str, aws: AwsTarget | None = None) -> tuple[BlobStore, str]:
    """A blob store and the key (possibly empty) of the export folder EXPORT names."""
    if export.startswith("s3://"):
        bucket, _, key = export[5:].partition("/")
        if not bucket:
            raise ConfigError(f"bad S3 location {export!r}", hint="use s3://bucket/prefix/<task>/")
        return S3Store(bucket, aws=aws), key.strip("/")
    path = Path(export).expanduser()
    if not path.exists():
        raise ConfigError(
            f"{export} does not exist",
            hint="give s3://bucket/prefix/<ExportTaskIdentifier>/ or a local copy of it",
        )
    if path.is_file():
        path = path.parent
    return LocalStore(path), ""


def _json(store: BlobStore, key: str, where: str) -> dict[str, Any]:
    try:
        data = orjson.loads(store.read_bytes(key))
    except orjson.JSONDecodeError as exc:
        raise ExportError(
            f"export {where}: {key.rsplit('/', 1)[-1]} is not valid JSON ({exc})"
        ) from exc
    if not isinstance(data, dict):
        raise ExportError(f"export {where}: {key.rsplit('/', 1)[-1]} is not a JSON object")
    return data


def _time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise ExportError(f"export {where}: export_info has no snapshotTime")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ExportError(f"export {where}: bad snapshotTime {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


#: ``originalType`` names only MySQL / MariaDB writes (``information_schema.COLUMNS.DATA_TYPE``;
#: PostgreSQL spells these ``integer``, ``numeric``, ``character varying``, ``timestamp
#: without time zone`` …), and names only PostgreSQL writes (``information_schema.columns.
#: data_type``, e.g. ``ARRAY`` and ``USER-DEFINED`` in AWS's exports). Names both use
#: (``bigint``, ``text``, ``date``, ``json``, ``uuid`` …) are no evidence.
MYSQL_TYPE_NAMES = frozenset(
    {
        "tinyint", "mediumint", "int", "decimal", "float", "double", "datetime", "timestamp",
        "time", "year", "char", "varchar", "binary", "varbinary", "tinyblob", "blob",
        "mediumblob", "longblob", "tinytext", "mediumtext", "longtext", "enum", "set",
        "geometry", "linestring", "multipoint", "multilinestring", "multipolygon",
        "geometrycollection", "geomcollection", "inet4", "inet6",
    }
)  # fmt: skip
POSTGRES_TYPE_NAMES = frozenset(
    {
        "integer", "numeric", "real", "double precision", "character varying", "character",
        "bytea", "timestamp without time zone", "timestamp with time zone",
        "time without time zone", "time with time zone", "interval", "boolean", "jsonb",
        "array", "user-defined", "money", "cidr", "inet", "macaddr", "macaddr8", "tsvector",
        "tsquery", "xml", "bit varying", "box", "circle", "line", "lseg", "path", "int4range",
        "int8range", "numrange", "tsrange", "tstzrange", "daterange", "oid", "name", "pg_lsn",
    }
)  # fmt: skip


def _type_evidence(original_type: str) -> Engine | None:
    name = re.sub(r"\(.*?\)", "", original_type.lower()).strip()
    if name.endswith(" unsigned") or name in MYSQL_TYPE_NAMES:
        return Engine.MYSQL
    if name.endswith("[]") or name.startswith("_") or name in POSTGRES_TYPE_NAMES:
        return Engine.POSTGRES
    return None


def _mysql_folders(target: str) -> list[tuple[str, str, str]]:
    """(folder, database, table) for every split of a MySQL target: ``<db>/<db>.<table>``."""
    parts = target.split(".")
    out = []
    for k in range(1, len(parts)):
        database, name = ".".join(parts[:k]), ".".join(parts[k:])
        out.append((f"{s3_safe(database)}/{s3_safe(target)}", database, name))
    return out


def _postgres_folders(target: str) -> list[tuple[str, str, str, str]]:
    """(folder, database, schema, table) per split of a PostgreSQL target:
    ``<db>/<schema>.<table>``. A dot inside the schema or the table name cannot be told from
    the folder (AWS writes ``<schema>.<table>``): the schema is taken to end at the first dot."""
    parts = target.split(".")
    out = []
    for k in range(1, len(parts) - 1):
        database, schema, name = ".".join(parts[:k]), parts[k], ".".join(parts[k + 1 :])
        out.append(
            (f"{s3_safe(database)}/{s3_safe(schema)}.{s3_safe(name)}", database, schema, name)
        )
    return out


def engine_of(entries: list[dict[str, Any]], folders: set[str]) -> Engine:
    """The source engine of an export, from its own metadata (never from dots in names).

    In order: the ``originalType`` names of every column (names only one engine uses, see
    :data:`MYSQL_TYPE_NAMES`); then the table folders that exist (``<db>/<db>.<table>`` is
    MySQL's layout, ``<db>/<schema>.<table>`` PostgreSQL's, export-formats.md §2); then, with
    no evidence at all (no files, only type names both engines use), the shape of the targets:
    PostgreSQL's always have a database, a schema and a table.
    """
    votes = {Engine.MYSQL: 0, Engine.POSTGRES: 0}
    for entry in entries:
        mappings = (entry.get("schemaMetadata") or {}).get("originalTypeMappings") or []
        for mapping in mappings:
            if isinstance(mapping, dict):
                evidence = _type_evidence(str(mapping.get("originalType", "")))
                if evidence is not None:
                    votes[evidence] += 1
    if votes[Engine.MYSQL] != votes[Engine.POSTGRES]:
        return max(votes, key=lambda e: votes[e])
    for entry in entries:
        target = str(entry.get("target", ""))
        mysql = any(f in folders for f, _, _ in _mysql_folders(target))
        postgres = any(f in folders for f, _, _, _ in _postgres_folders(target))
        if mysql != postgres:
            votes[Engine.MYSQL if mysql else Engine.POSTGRES] += 1
    if votes[Engine.MYSQL] != votes[Engine.POSTGRES]:
        return max(votes, key=lambda e: votes[e])
    targets = [str(e.get("target", "")) for e in entries]
    if targets and all(len(t.split(".")) >= 3 for t in targets):
        return Engine.POSTGRES
    return Engine.MYSQL


def read_export(export: str, aws: AwsTarget | None = None) -> RdsExport:
    """Find and read an RDS export; refuse it unless its status is COMPLETE.

    Per-table problems do not raise: they are recorded on each :class:`RdsTable`.
    """
    store, folder = open_location(export, aws)
    where = store.url(folder) if folder else store.location
    prefix = f"{folder}/" if folder else ""
    keys = list(store.list(prefix))
    infos = sorted(k for k in keys if _INFO.search(k) and k.count("/") == prefix.count("/"))
    tables_infos = sorted(
        (k for k in keys if _TABLES_INFO.search(k) and k.count("/") == prefix.count("/")),
        key=lambda k: int(_TABLES_INFO.search(k)[3]),  # type: ignore[index]
    )
    if not infos:
        if tables_infos or any(k.endswith(_PARQUET) for k in keys):
            raise ExportNotReadyError(
                f"export {where} has no export_info_*.json (not complete yet)",
                hint="wait for the export task to be COMPLETE, then load it",
            )
        raise ExportError(
            f"no RDS export found at {where}",
            hint="point at s3://bucket/prefix/<ExportTaskIdentifier>/ (the folder holding "
            "export_info_<id>.json)",
        )
    if len(infos) > 1:
        raise ConfigError(
            f"{where} holds {len(infos)} export_info files",
            hint="point at one export task's folder",
        )
    info = _json(store, infos[0], where)
    named = _INFO.search(infos[0])[2]  # type: ignore[index]
    export_id = str(info.get("exportTaskIdentifier") or "")
    if not export_id:
        raise ExportError(
            f"export {where}: {infos[0].rsplit('/', 1)[-1]} has no exportTaskIdentifier "
            "(the export's identity in the ledger)",
            hint="AWS writes this field on every export; the file is incomplete or was altered",
        )
    if export_id != named:
        raise ExportError(
            f"export {where}: {infos[0].rsplit('/', 1)[-1]} is the info of export task "
            f"{export_id!r}",
            hint="the file belongs to another export; the export was altered",
        )
    status = str(info.get("status", ""))
    if status != "COMPLETE":
        raise ExportError(
            f"export {where} ({export_id}) has status {status or 'missing'}, not COMPLETE",
            hint="only a COMPLETE export can be loaded; see DescribeExportTasks FailureCause",
        )
    snapshot_time = _time(info.get("snapshotTime"), where)
    if not tables_infos:
        raise ExportError(
            f"export {where}: no export_tables_info_*.json",
            hint="the export is incomplete; re-run the export task",
        )
    statuses: list[dict[str, Any]] = []
    for key in tables_infos:
        entries = _json(store, key, where).get("perTableStatus")
        if not isinstance(entries, list):
            raise ExportError(f"export {where}: {key.rsplit('/', 1)[-1]} has no perTableStatus")
        statuses.extend(e for e in entries if isinstance(e, dict))
    table_entries = [s for s in statuses if "." in str(s.get("target", ""))]
    files_by_folder = _files_by_table_folder(keys, prefix)
    engine = engine_of(table_entries, set(files_by_folder))
    tables = tuple(
        _table(store, where, prefix, entry, engine, files_by_folder) for entry in table_entries
    )
    return RdsExport(
        store=store,
        folder=folder,
        export_id=export_id,
        source_arn=str(info.get("sourceArn", "")),
        snapshot_time=snapshot_time,
        engine=engine,
        tables=tables,
        info=info,
    )


def _files_by_table_folder(keys: list[str], prefix: str) -> dict[str, list[str]]:
    """Keys under ``<prefix><db>/<x>.<table>/`` grouped by that folder (relative)."""
    out: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        rest = key[len(prefix) :]
        parts = rest.split("/")
        if len(parts) >= 3:
            out["/".join(parts[:2])].append(key)
    return out


def s3_safe(name: str) -> str:
    """A name as AWS writes it in S3 paths: ``\\ ` "`` and space become ``_``."""
    return re.sub(r'[\\`" ]', "_", name)


def _split(target: str, engine: Engine, folders: set[str]) -> tuple[str, str | None, str, str]:
    """(database, schema, table, folder) of a target: the split whose folder exists.

    A table name may hold dots (MySQL allows `` `core.user` ``), so the split is the one whose
    folder AWS wrote; without files (a skipped table), the database ends at the first dot.
    """
    if engine is Engine.POSTGRES:
        candidates = _postgres_folders(target)
        for folder, database, schema, name in candidates:
            if folder in folders:
                return database, schema, name, folder
        if candidates:
            folder, database, schema, name = candidates[0]
            return database, schema, name, folder
    for folder, database, name in _mysql_folders(target):
        if folder in folders:
            return database, None, name, folder
    database, _, name = target.partition(".")
    return database, None, name, f"{s3_safe(database)}/{s3_safe(target)}"


def _table(
    store: BlobStore,
    where: str,
    prefix: str,
    entry: dict[str, Any],
    engine: Engine,
    files_by_folder: dict[str, list[str]],
) -> RdsTable:
    target = str(entry["target"])
    database, schema, name, folder = _split(target, engine, set(files_by_folder))
    mappings = (entry.get("schemaMetadata") or {}).get("originalTypeMappings") or []
    columns = tuple(SourceColumn.from_mapping(m) for m in mappings if isinstance(m, dict))
    status = str(entry.get("status", ""))
    partitioning = (entry.get("tableStatistics") or {}).get("partitioningInfo") or {}
    expected = _count(partitioning.get("numberOfPartitions"))
    completed = _count(partitioning.get("numberOfCompletedPartitions"))
    keys = sorted(files_by_folder.get(folder, []))
    parquet = [k for k in keys if k.endswith(_PARQUET)]
    problem: str | None = None
    reason = entry.get("warningMessage") or entry.get("failureMessage") or entry.get("reason")
    if status == "SKIPPED" or (status != "COMPLETE" and reason and "skip" in str(reason).lower()):
        problem = f"AWS skipped the table: {reason or 'no reason given'}"
    elif status != "COMPLETE":
        problem = f"its export status is {status or 'missing'}" + (f": {reason}" if reason else "")
    elif expected is None or completed is None:
        problem = (
            "export_tables_info gives no tableStatistics.partitioningInfo "
            "(numberOfPartitions, numberOfCompletedPartitions) for it, so its files cannot be "
            "checked"
        )
    elif completed != expected:
        problem = f"only {completed} of its {expected} partitions completed"
    elif not columns:
        problem = "export_tables_info lists no columns (originalTypeMappings) for it"
    else:
        problem = _check_files(store, prefix + folder + "/", keys, parquet, expected)
    files = _files(store, where, target, parquet) if problem is None else ()
    return RdsTable(
        target=target,
        database=database,
        schema=schema,
        name=name,
        columns=columns,
        files=files,
        status=status,
        partitions=expected or 0,
        problem=problem,
        skipped=problem is not None and problem.startswith("AWS skipped"),
        raw=entry,
    )


def _count(value: Any) -> int | None:
    """A partition count from export_tables_info (a non-negative integer), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _files(store: BlobStore, where: str, target: str, keys: list[str]) -> tuple[ExportFile, ...]:
    """The table's Parquet files with their sizes; a file that is not a regular file inside
    the export (a symlink out of it, a directory, a named pipe) refuses the export."""
    files = []
    for key in keys:
        try:
            size = store.size(key)
        except Aws2BqError as exc:
            raise type(exc)(
                f"export {where}: table {target}: {exc.message}", hint=exc.hint
            ) from None
        files.append(ExportFile(store, key, None, -1, size, where))
    return tuple(files)


def _check_files(
    store: BlobStore, base: str, keys: list[str], parquet: list[str], expected: int
) -> str | None:
    """What is missing from a table folder, if anything.

    Partition folders (``<base><n>/``) must be exactly 1..numberOfPartitions, each with at
    least one Parquet file; where the files carry Spark part numbers (``part-00000-…``) they
    must run from 0 without a gap; a ``_SUCCESS`` marker seen in one partition must be in all.
    Files directly in the table folder (older exports) are accepted as one partition.
    """
    if expected and not parquet:
        return f"none of its {expected} partition(s) has a Parquet file under {store.url(base)}"
    by_partition: dict[str, list[str]] = defaultdict(list)
    markers: set[str] = set()
    for key in keys:
        rest = key[len(base) :]
        partition, _, name = rest.rpartition("/")
        if name == "_SUCCESS":
            markers.add(partition)
        elif key.endswith(_PARQUET):
            by_partition[partition].append(name)
    numbered = [p for p in by_partition if p.isdigit()]
    if numbered or markers:
        seen = {p for p in (*by_partition, *markers) if p.isdigit()}
        wanted = {str(n) for n in range(1, expected + 1)}
        if seen and min(int(p) for p in seen) == 0:
            wanted = {str(n) for n in range(expected)}
        missing = sorted(wanted - set(by_partition), key=int)
        if missing:
            return f"partition(s) {', '.join(missing)} have no Parquet file under {store.url(base)}"
        if markers and (lacking := sorted(set(by_partition) - markers)):
            return f"partition(s) {', '.join(lacking)} have no _SUCCESS marker"
    for partition, names in sorted(by_partition.items()):
        numbers = sorted(int(m[1]) for n in names if (m := _PART_NUMBER.match(n)))
        if numbers and len(numbers) == len(names) and numbers != list(range(len(numbers))):
            gaps = sorted(set(range(max(numbers) + 1)) - set(numbers))
            where = f"partition {partition}" if partition else "the table folder"
            return (
                f"{where} lacks Parquet part file(s) {', '.join(f'{g:05d}' for g in gaps)} "
                f"(files: {', '.join(sorted(names))})"
            )
    return None
