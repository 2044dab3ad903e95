"""The bundled sample dataset for sandbox RDS instances on machines without a database server.

``sample://shop`` is a small shop — customers, products, orders, order_items — whose columns
are declared with MySQL types (DECIMAL, DATETIME(6), TIMESTAMP, DATE, JSON, ENUM, SET, YEAR,
TINYINT(1), BIGINT UNSIGNED, ...) so its exports look like an RDS MySQL export. The rows are
generated deterministically in Python and kept in a SQLite file in the sandbox's state
directory, one file per instance, so a demo can insert, update and delete rows between two
snapshots (``RdsSandbox.sample_execute``).

SQLite holds the values untyped (columns without a declared type, so a BIGINT UNSIGNED above
2**63 or a 65-digit decimal is kept as exact text); the MySQL type of every column lives in the
side table ``_aws2bq_columns``. A table created later through ``sample_execute`` without an
entry there is exported with types inferred from its SQLite declaration.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SCHEMA_TABLE = "_aws2bq_columns"

#: name -> table -> [(column, MySQL COLUMN_TYPE)]
DATASETS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "shop": {
        "customers": [
            ("id", "int unsigned"),
            ("email", "varchar(255)"),
            ("full_name", "varchar(100)"),
            ("country", "char(2)"),
            ("tier", "enum('bronze','silver','gold')"),
            ("loyalty_points", "bigint unsigned"),
            ("birth_date", "date"),
            ("preferences", "json"),
            ("created_at", "datetime(6)"),
            ("updated_at", "timestamp"),
        ],
        "products": [
            ("id", "int"),
            ("sku", "varchar(32)"),
            ("name", "varchar(200)"),
            ("price", "decimal(10,2)"),
            ("weight_kg", "double"),
            ("tags", "set('new','sale','eco')"),
            ("is_active", "tinyint(1)"),
            ("stock", "smallint"),
            ("launched", "year"),
            ("description", "text"),
        ],
        "orders": [
            ("id", "bigint"),
            ("customer_id", "int unsigned"),
            ("status", "enum('pending','paid','shipped','cancelled')"),
            ("total", "decimal(12,2)"),
            ("ordered_at", "datetime"),
            ("shipped_on", "date"),
            ("note", "text"),
        ],
        "order_items": [
            ("order_id", "bigint"),
            ("line_no", "smallint"),
            ("product_id", "int"),
            ("quantity", "int"),
            ("unit_price", "decimal(10,2)"),
            ("discount", "decimal(5,4)"),
        ],
    }
}

_FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Ken",
    "Linus",
    "Margaret",
    "Donald",
    "Frances",
    "John",
    "Radia",
    "Tim",
    "Sophie",
    "Niklaus",
    "Hedy",
]
_LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Thompson",
    "Torvalds",
    "Hamilton",
    "Knuth",
    "Allen",
    "Backus",
    "Perlman",
    "Berners-Lee",
    "Wilson",
    "Wirth",
]
_COUNTRIES = ["DE", "FR", "US", "GB", "JP", "BR", "IN", "ES", "NL", "SE"]
_PRODUCTS = [
    "Kettle",
    "Mug",
    "Teapot",
    "Grinder",
    "Scale",
    "Filter",
    "Press",
    "Tin",
    "Spoon",
    "Tray",
]
_ADJECTIVES = ["Classic", "Travel", "Ceramic", "Steel", "Bamboo", "Glass", "Mini", "Pro"]


def _split_type(column_type: str) -> dict[str, Any]:
    """``information_schema``-like facts from a COLUMN_TYPE such as ``decimal(10,2)``."""
    base = column_type.split("(")[0].split(" ")[0].lower()
    args = (
        column_type[column_type.find("(") + 1 : column_type.find(")")] if "(" in column_type else ""
    )
    numbers = [int(a) for a in args.split(",") if a.strip().isdigit()]
    facts: dict[str, Any] = {"data_type": base, "column_type": column_type}
    if base in ("char", "varchar"):
        facts["char_max_length"] = numbers[0]
    elif base in ("text", "json"):
        facts["char_max_length"] = 65535 if base == "text" else 4294967295
    elif base in ("decimal", "numeric"):
        facts["num_precision"], facts["num_scale"] = (*numbers, 0)[:2] if numbers else (10, 0)
    elif base in ("datetime", "timestamp", "time"):
        facts["datetime_precision"] = numbers[0] if numbers else 0
    elif base in ("tinyint", "smallint", "mediumint", "int", "bigint"):
        width = {"tinyint": 3, "smallint": 5, "mediumint": 7, "int": 10, "bigint": 19}[base]
        facts["num_precision"] = width + (
            1 if base == "bigint" and "unsigned" in column_type else 0
        )
        facts["num_scale"] = 0
    elif base == "double":
        facts["num_precision"] = 22
    return facts


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def select_all(table: str, columns: list[str]) -> str:
    """The SELECT that reads a whole sample table (identifiers quoted)."""
    return "SELECT {} FROM {} ORDER BY rowid".format(  # noqa: S608 - identifiers quoted
        ", ".join(map(_quote, columns)), _quote(table)
    )


def schema(conn: sqlite3.Connection) -> list[tuple[str, list[dict[str, Any]]]]:
    """Every table of a sample file with ``mysql_column`` keyword arguments per column."""
    declared: dict[str, list[dict[str, Any]]] = {}
    for table, name, column_type in conn.execute(
        f"SELECT table_name, column_name, column_type FROM {SCHEMA_TABLE} "  # noqa: S608
        "ORDER BY table_name, ordinal"
    ):
        declared.setdefault(table, []).append({"name": name, **_split_type(column_type)})
    result = []
    tables = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' AND name != ? ORDER BY name",
        (SCHEMA_TABLE,),
    ).fetchall()
    for (table,) in tables:
        if table in declared:
            result.append((table, declared[table]))
            continue
        inferred = []
        for _cid, name, decl, *_ in conn.execute(f"PRAGMA table_info({_quote(table)})"):
            decl = (decl or "").lower()
            column_type = (
                "bigint"
                if "int" in decl
                else "double"
                if "real" in decl
                else "longblob"
                if "blob" in decl
                else "longtext"
            )
            inferred.append({"name": name, **_split_type(column_type)})
        result.append((table, inferred))
    return result


def create(path: Path, name: str = "shop") -> None:
    """Write the sample ``name`` into a new SQLite file (deterministic: same rows every time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute(
            f"CREATE TABLE {SCHEMA_TABLE} (table_name TEXT, ordinal INTEGER, "
            "column_name TEXT, column_type TEXT)"
        )
        for table, columns in DATASETS[name].items():
            # Untyped columns: SQLite keeps every value exactly as inserted.
            conn.execute(
                f"CREATE TABLE {_quote(table)} ({', '.join(_quote(c) for c, _ in columns)})"
            )
            conn.executemany(
                f"INSERT INTO {SCHEMA_TABLE} VALUES (?, ?, ?, ?)",  # noqa: S608
                [(table, i, c, t) for i, (c, t) in enumerate(columns, 1)],
            )
            rows = list(_rows(table))
            marks = ", ".join("?" * len(columns))
            conn.executemany(f"INSERT INTO {_quote(table)} VALUES ({marks})", rows)  # noqa: S608
        conn.commit()
    finally:
        conn.close()
    tmp.replace(path)


def _rows(table: str) -> Iterable[tuple[Any, ...]]:
    rng = random.Random(f"aws2bq-shop-{table}")
    start = datetime(2023, 1, 1, tzinfo=UTC)
    if table == "customers":
        for i in range(1, 121):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            created = start + timedelta(
                seconds=rng.randrange(365 * 86400), microseconds=rng.randrange(1_000_000)
            )
            # A few customers with loyalty points beyond BIGINT's signed range.
            points = 18446744073709551615 - i if i % 40 == 0 else rng.randrange(0, 50_000)
            yield (
                i,
                f"{first}.{last}{i}@example.com".lower(),
                f"{first} {last}",
                rng.choice(_COUNTRIES),
                rng.choice(["bronze", "bronze", "silver", "gold"]),
                str(points),
                None
                if i % 7 == 0
                else (datetime(1950, 1, 1) + timedelta(days=rng.randrange(20000)))
                .date()
                .isoformat(),
                json.dumps({"newsletter": rng.random() < 0.5, "lang": rng.choice(["en", "de"])}),
                created.strftime("%Y-%m-%d %H:%M:%S.%f"),
                (created + timedelta(days=rng.randrange(90))).strftime("%Y-%m-%d %H:%M:%S"),
            )
    elif table == "products":
        for i in range(1, 41):
            tags = ",".join(t for t in ("new", "sale", "eco") if rng.random() < 0.3)
            yield (
                i,
                f"SKU-{i:05d}",
                f"{rng.choice(_ADJECTIVES)} {rng.choice(_PRODUCTS)}",
                f"{rng.randrange(199, 19999) / 100:.2f}",
                round(rng.uniform(0.05, 4.0), 3),
                tags,
                int(rng.random() < 0.9),
                rng.randrange(0, 500),
                rng.randrange(2015, 2025),
                None if i % 5 == 0 else f"A sturdy item number {i}.",
            )
    elif table == "orders":
        for i in range(1, 401):
            ordered = start + timedelta(seconds=rng.randrange(400 * 86400))
            status = rng.choice(["pending", "paid", "shipped", "shipped", "cancelled"])
            shipped = (ordered + timedelta(days=rng.randrange(1, 6))).date().isoformat()
            yield (
                i,
                rng.randrange(1, 121),
                status,
                f"{rng.randrange(500, 90000) / 100:.2f}",
                ordered.strftime("%Y-%m-%d %H:%M:%S"),
                shipped if status == "shipped" else None,
                "gift wrap" if rng.random() < 0.1 else None,
            )
    elif table == "order_items":
        for order in range(1, 401):
            for line in range(1, rng.randrange(2, 5)):
                yield (
                    order,
                    line,
                    rng.randrange(1, 41),
                    rng.randrange(1, 6),
                    f"{rng.randrange(199, 19999) / 100:.2f}",
                    f"{rng.choice([0, 0, 0.05, 0.1]):.4f}",
                )


def execute(
    path: Path, statements: list[str], params: list[list[Any]] | None = None
) -> dict[str, Any]:
    """Run SQL statements on a sample file in one transaction; returns rows changed/selected."""
    conn = sqlite3.connect(path)
    try:
        changed, results = 0, []
        for i, statement in enumerate(statements):
            cur = conn.execute(statement, (params[i] if params else None) or [])
            if cur.description:
                results.append([list(r) for r in cur.fetchall()])
            changed += max(cur.rowcount, 0)
        conn.commit()
    finally:
        conn.close()
    return {"rows_changed": changed, "results": results}
