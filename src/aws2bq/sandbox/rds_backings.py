"""The real data behind sandbox RDS instances and clusters, and snapshots of it.

A sandbox DB instance or cluster is *backed* by a real database server (the local MariaDB or
PostgreSQL) or by the bundled sample dataset; see :mod:`aws2bq.sandbox.rds_exports` for the
tag that chooses it. Taking a snapshot reads every table once, inside one consistent read
(``START TRANSACTION WITH CONSISTENT SNAPSHOT`` on MySQL, ``REPEATABLE READ`` on PostgreSQL,
one read transaction on SQLite), and streams the rows in batches into one Parquet file per
table under the sandbox's state directory, already converted with AWS's type mapping
(:mod:`aws2bq.sandbox.rds_typemap`). Exports later only re-cut those files, so rows written
after CreateDBSnapshot never appear in its exports, and a big table never sits in memory.
"""

from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pyarrow as pa
import pyarrow.parquet as pq

from aws2bq.sandbox import rds_sample
from aws2bq.sandbox.rds_typemap import (
    ColumnSpec,
    mysql_column,
    pg_column,
    pg_is_native,
    skip_reason,
)

MYSQL_SYSTEM_DATABASES = frozenset({"information_schema", "mysql", "performance_schema", "sys"})
MYSQL_ENGINES = frozenset({"mysql", "mariadb", "aurora", "aurora-mysql"})
POSTGRES_ENGINES = frozenset({"postgres", "aurora-postgresql"})


class BackingError(ValueError):
    """A backing DSN that cannot be used (bad syntax, wrong engine, unreachable server)."""


@dataclass
class CapturedTable:
    """One table of a captured snapshot, as the export will describe it."""

    database: str
    schema: str | None  # PostgreSQL only
    table: str
    type_mappings: list[dict[str, Any]]
    rows: int = 0
    file: str | None = None  # Parquet file (relative to the capture dir); None when skipped
    skipped: str | None = None  # why AWS would skip the table

    @property
    def target(self) -> str:
        """``db.table`` (MySQL) or ``db.schema.table`` (PostgreSQL), as in tables_info."""
        parts = [self.database, self.schema, self.table]
        return ".".join(p for p in parts if p is not None)


@dataclass
class Capture:
    """A snapshot's data on disk: a directory of Parquet files plus this manifest."""

    directory: Path
    engine: str  # "mysql" or "postgres"
    tables: list[CapturedTable]

    def save(self) -> None:
        manifest = {"engine": self.engine, "tables": [asdict(t) for t in self.tables]}
        (self.directory / "capture.json").write_text(json.dumps(manifest, indent=1))

    @classmethod
    def load(cls, directory: Path) -> Capture:
        manifest = json.loads((directory / "capture.json").read_text())
        tables = [CapturedTable(**t) for t in manifest["tables"]]
        return cls(directory, manifest["engine"], tables)


class Backing(ABC):
    """Where a sandbox instance's data lives; knows how to capture it consistently."""

    #: "mysql" or "postgres": the engine family whose layout and types the export uses.
    engine: str

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def check_engine(self, rds_engine: str) -> None:
        """Refuse a backing that cannot stand behind an RDS engine (e.g. postgres DSN, mysql)."""
        engines = MYSQL_ENGINES if self.engine == "mysql" else POSTGRES_ENGINES
        if rds_engine.lower() not in engines:
            raise BackingError(
                f"backing {self.dsn!r} is a {self.engine} database and cannot back engine "
                f"{rds_engine!r}; use it with one of {sorted(engines)}"
            )

    @abstractmethod
    def capture(self, directory: Path, batch_rows: int) -> Capture:
        """Read every table at one moment into ``directory`` (created by the caller)."""


def _write_table(
    directory: Path,
    index: int,
    table: CapturedTable,
    columns: list[ColumnSpec],
    batches: Iterator[list[tuple[Any, ...]]],
) -> None:
    """Stream row batches of one table into ``<index>.parquet`` with the export's types."""
    schema = pa.schema([pa.field(c.name, c.arrow_type) for c in columns])
    name = f"{index:05d}.parquet"
    with pq.ParquetWriter(directory / name, schema, compression="snappy") as writer:
        for rows in batches:
            arrays = [col.to_arrow([row[i] for row in rows]) for i, col in enumerate(columns)]
            writer.write_batch(pa.record_batch(arrays, schema=schema))
            table.rows += len(rows)
    table.file = name


def _batches(cursor: Any, size: int) -> Iterator[list[tuple[Any, ...]]]:
    """Row batches from a DB-API cursor (drivers end with ``[]`` or ``()``)."""
    while rows := cursor.fetchmany(size):
        yield list(rows)


def _skippable(table: CapturedTable, columns: list[ColumnSpec]) -> bool:
    table.skipped = skip_reason(table.table, [c.name for c in columns])
    return table.skipped is not None


# -- MySQL / MariaDB --------------------------------------------------------------------------
def _mysql_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class MySqlBacking(Backing):
    """A MariaDB/MySQL server; ``databases`` empty means every non-system database."""

    engine = "mysql"

    def __init__(
        self, dsn: str, host: str, port: int, user: str, password: str, databases: list[str]
    ) -> None:
        super().__init__(dsn)
        self.host, self.port, self.user, self.password = host, port, user, password
        self.databases = databases

    def connect(self, **kwargs: Any) -> Any:
        import pymysql

        try:
            return pymysql.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                charset="utf8mb4",
                **kwargs,
            )
        except pymysql.MySQLError as exc:
            raise BackingError(f"cannot connect to the backing {self.dsn!r}: {exc}") from exc

    def check(self) -> None:
        """Connect once, so a create call with a dead DSN fails at once."""
        self.connect(connect_timeout=3).close()

    def capture(self, directory: Path, batch_rows: int) -> Capture:
        import pymysql.cursors
        from pymysql.constants import FIELD_TYPE
        from pymysql.converters import conversions

        # Temporal and decimal values are read as MySQL's own text so that zero dates,
        # TIME beyond 24 h and 65-digit decimals reach the type map unchanged.
        conv = dict(conversions)
        for field_type in (
            FIELD_TYPE.DATE,
            FIELD_TYPE.NEWDATE,
            FIELD_TYPE.DATETIME,
            FIELD_TYPE.TIMESTAMP,
            FIELD_TYPE.TIME,
            FIELD_TYPE.DECIMAL,
            FIELD_TYPE.NEWDECIMAL,
        ):
            conv.pop(field_type, None)
        conn = self.connect(conv=conv, autocommit=False)
        tables: list[CapturedTable] = []
        try:
            with conn.cursor() as cur:
                # TIMESTAMP values come back in the session zone: read them in UTC.
                cur.execute("SET SESSION time_zone = '+00:00'")
                cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
                listing = self._tables(cur)
            for index, (db, name) in enumerate(listing):
                with conn.cursor() as cur:
                    columns, order = self._columns(cur, db, name)
                table = CapturedTable(db, None, name, [c.type_mapping() for c in columns])
                tables.append(table)
                if _skippable(table, columns):
                    continue
                select = "SELECT {} FROM {}.{}{}".format(  # noqa: S608 - identifiers quoted
                    ", ".join(_mysql_ident(c.name) for c in columns),
                    _mysql_ident(db),
                    _mysql_ident(name),
                    " ORDER BY " + ", ".join(map(_mysql_ident, order)) if order else "",
                )
                with conn.cursor(pymysql.cursors.SSCursor) as cur:
                    cur.execute(select)
                    _write_table(directory, index, table, columns, _batches(cur, batch_rows))
            conn.rollback()
        finally:
            conn.close()
        capture = Capture(directory, self.engine, tables)
        capture.save()
        return capture

    def _tables(self, cur: Any) -> list[tuple[str, str]]:
        if self.databases:
            databases = self.databases
        else:
            cur.execute("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1")
            databases = [r[0] for r in cur.fetchall() if r[0] not in MYSQL_SYSTEM_DATABASES]
        if not databases:
            return []
        marks = ", ".join(["%s"] * len(databases))
        cur.execute(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "  # noqa: S608
            f"WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA IN ({marks}) ORDER BY 1, 2",
            databases,
        )
        return [(r[0], r[1]) for r in cur.fetchall()]

    def _columns(self, cur: Any, db: str, table: str) -> tuple[list[ColumnSpec], list[str]]:
        json_columns: set[str] = set()
        try:  # MariaDB's JSON is LONGTEXT with a json_valid() check constraint
            cur.execute(
                "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
                "WHERE CONSTRAINT_SCHEMA = %s AND TABLE_NAME = %s",
                (db, table),
            )
            for (clause,) in cur.fetchall():
                if clause.lower().startswith("json_valid("):
                    json_columns.add(clause[len("json_valid(") :].rstrip(")").strip("`"))
        except Exception:
            pass
        cur.execute(
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_MAXIMUM_LENGTH, "
            "NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, COLUMN_KEY "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s "
            "ORDER BY ORDINAL_POSITION",
            (db, table),
        )
        specs: list[ColumnSpec] = []
        for name, dtype, ctype, cmax, nprec, nscale, dprec, _key in cur.fetchall():
            if dtype == "bit":
                nprec = int(ctype[4:-1] or 1)  # BIT(n): n is the width
            specs.append(
                mysql_column(
                    name,
                    "json" if name in json_columns else dtype,
                    ctype,
                    char_max_length=cmax,
                    num_precision=nprec,
                    num_scale=nscale,
                    datetime_precision=dprec,
                )
            )
        cur.execute(
            "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s "
            "AND TABLE_NAME = %s AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
            (db, table),
        )
        return specs, [r[0] for r in cur.fetchall()]


# -- PostgreSQL -------------------------------------------------------------------------------
class PostgresBacking(Backing):
    """Databases on a PostgreSQL server, each read in its own REPEATABLE READ transaction."""

    engine = "postgres"

    def __init__(
        self, dsn: str, host: str, port: int, user: str, password: str, databases: list[str]
    ) -> None:
        super().__init__(dsn)
        self.host, self.port, self.user, self.password = host, port, user, password
        self.databases = databases or ["postgres"]

    def connect(self, dbname: str, **kwargs: Any) -> Any:
        import psycopg

        try:
            return psycopg.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password or None,
                dbname=dbname,
                **kwargs,
            )
        except psycopg.Error as exc:
            raise BackingError(f"cannot connect to the backing {self.dsn!r}: {exc}") from exc

    def check(self) -> None:
        for db in self.databases:
            self.connect(db, connect_timeout=3).close()

    def capture(self, directory: Path, batch_rows: int) -> Capture:
        import psycopg

        conns = []
        try:
            # Pin every database's snapshot first, so they are as close in time as they can be.
            for db in self.databases:
                conn = self.connect(db)
                conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                conn.read_only = True
                # PostgreSQL's text output depends on these; RDS runs in UTC with ISO dates.
                conn.execute("SET LOCAL TIME ZONE 'UTC'")
                conn.execute("SET LOCAL DateStyle = 'ISO, MDY'")
                conn.execute("SET LOCAL IntervalStyle = 'postgres'")
                conn.execute("SELECT 1")  # takes the transaction's snapshot now
                conns.append((db, conn))
            tables: list[CapturedTable] = []
            index = 0
            for db, conn in conns:
                for schema, name in self._tables(conn):
                    columns = self._columns(conn, schema, name)
                    table = CapturedTable(db, schema, name, [c.type_mapping() for c in columns])
                    tables.append(table)
                    index += 1
                    if _skippable(table, columns):
                        continue
                    self._read(conn, directory, index, table, columns, batch_rows)
        finally:
            for _, conn in conns:
                conn.close()
        capture = Capture(directory, self.engine, tables)
        capture.save()
        return capture

    @staticmethod
    def _tables(conn: Any) -> list[tuple[str, str]]:
        rows = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN "
            "('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg\\_%%' "
            "ORDER BY 1, 2"
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    @staticmethod
    def _columns(conn: Any, schema: str, table: str) -> list[ColumnSpec]:
        rows = conn.execute(
            "SELECT c.column_name, c.data_type, format_type(a.atttypid, a.atttypmod), "
            "c.character_maximum_length, c.numeric_precision, c.datetime_precision "
            "FROM information_schema.columns c JOIN pg_catalog.pg_attribute a "
            "ON a.attrelid = format('%%I.%%I', c.table_schema, c.table_name)::regclass "
            "AND a.attname = c.column_name "
            "WHERE c.table_schema = %s AND c.table_name = %s ORDER BY c.ordinal_position",
            (schema, table),
        ).fetchall()
        return [
            pg_column(
                r[0], r[1], r[2], char_max_length=r[3], num_precision=r[4], datetime_precision=r[5]
            )
            for r in rows
        ]

    @staticmethod
    def _read(
        conn: Any,
        directory: Path,
        index: int,
        table: CapturedTable,
        columns: list[ColumnSpec],
        batch_rows: int,
    ) -> None:
        from psycopg import sql

        # Everything but the natively exported types is read as PostgreSQL's text output.
        exprs = [
            sql.Identifier(c.name)
            if pg_is_native(_pg_data_type(table, c))
            else sql.SQL("{}::text").format(sql.Identifier(c.name))
            for c in columns
        ]
        query = sql.SQL("SELECT {} FROM {}.{}").format(
            sql.SQL(", ").join(exprs),
            sql.Identifier(table.schema or "public"),
            sql.Identifier(table.table),
        )
        with conn.cursor(name=f"aws2bq_capture_{index}") as cur:
            cur.execute(query)
            _write_table(directory, index, table, columns, _batches(cur, batch_rows))


def _pg_data_type(table: CapturedTable, column: ColumnSpec) -> str:
    for mapping in table.type_mappings:
        if mapping["columnName"] == column.name:
            return str(mapping["originalType"])
    return ""


# -- the bundled sample -----------------------------------------------------------------------
class SampleBacking(Backing):
    """The bundled shop dataset, kept in a SQLite file that demos may change."""

    engine = "mysql"

    def __init__(self, dsn: str, name: str, path: Path) -> None:
        super().__init__(dsn)
        self.name = name
        self.path = path

    def check(self) -> None:
        if not self.path.exists():
            rds_sample.create(self.path, self.name)

    def capture(self, directory: Path, batch_rows: int) -> Capture:
        conn = sqlite3.connect(self.path, isolation_level=None)
        tables: list[CapturedTable] = []
        try:
            conn.execute("BEGIN")  # one read transaction: every table at the same moment
            for index, (name, columns) in enumerate(rds_sample.schema(conn)):
                specs = [mysql_column(**c) for c in columns]
                table = CapturedTable(self.name, None, name, [s.type_mapping() for s in specs])
                tables.append(table)
                if _skippable(table, specs):
                    continue
                cur = conn.execute(rds_sample.select_all(name, [s.name for s in specs]))
                _write_table(directory, index, table, specs, _batches(cur, batch_rows))
            conn.execute("COMMIT")
        finally:
            conn.close()
        capture = Capture(directory, self.engine, tables)
        capture.save()
        return capture


# -- DSNs -------------------------------------------------------------------------------------
def parse_backing(dsn: str, sample_path: Path) -> MySqlBacking | PostgresBacking | SampleBacking:
    """The backing a DSN names (see :mod:`aws2bq.sandbox.rds_exports` for the syntax)."""
    parts = urlsplit(dsn.strip())
    query = parse_qs(parts.query)
    listed = [d for v in query.get("databases", []) for d in v.split(",") if d]
    path_db = unquote(parts.path.lstrip("/"))
    databases = listed or ([path_db] if path_db else [])
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if parts.scheme in ("mysql", "mariadb"):
        return MySqlBacking(
            dsn,
            parts.hostname or "127.0.0.1",
            parts.port or 3306,
            user or "root",
            password,
            databases,
        )
    if parts.scheme in ("postgresql", "postgres"):
        return PostgresBacking(
            dsn,
            parts.hostname or "127.0.0.1",
            parts.port or 5432,
            user or "postgres",
            password,
            databases,
        )
    if parts.scheme == "sample":
        name = parts.netloc or path_db
        if name not in rds_sample.DATASETS:
            raise BackingError(
                f"no bundled sample {name!r}; there is {sorted(rds_sample.DATASETS)}"
            )
        return SampleBacking(dsn, name, sample_path)
    raise BackingError(
        f"cannot read backing {dsn!r}: use mysql://user@host:port/db[?databases=a,b], "
        "postgresql://user@host:port/db[?databases=a,b] or sample://shop"
    )
