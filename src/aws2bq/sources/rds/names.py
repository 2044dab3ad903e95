"""The one rule naming the destination table of an exported RDS table.

``run``, ``plan``, ``load`` and ``status`` all name tables here, so ``plan`` shows the names
``run`` creates. A target is ``db.table`` (MySQL) or ``db.schema.table`` (PostgreSQL); the
default template is :data:`MYSQL_TEMPLATE` / :data:`POSTGRES_TEMPLATE`, and any other comes
from ``table_name_template`` (``--table-name-template``). Characters a table name cannot hold
become ``_``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aws2bq.core.apply import NEW_SUFFIX
from aws2bq.errors import ConfigError

if TYPE_CHECKING:
    from aws2bq.sources.rds.export import RdsTable

#: Default destination table names of RDS tables (MySQL: no schema level; PostgreSQL: one).
MYSQL_TEMPLATE = "{db}__{table}"
POSTGRES_TEMPLATE = "{db}__{schema}__{table}"

_NOT_IN_NAME = re.compile(r"[^\w\- ]+")


def split_target(target: str, engine: str | None) -> tuple[str, str | None, str]:
    """(database, schema or None, table) of a configured ``db.table`` / ``db.schema.table``.

    The stream's engine says how a target splits (a MySQL table name may hold dots); unset,
    a PostgreSQL target is the one with a schema level (three parts or more).
    """
    parts = target.split(".")
    if engine == "mysql" or (engine is None and len(parts) == 2):
        return parts[0], None, ".".join(parts[1:])
    return parts[0], parts[1], ".".join(parts[2:])


def destination_name(database: str, schema: str | None, table: str, template: str | None) -> str:
    """The destination table of an exported table.

    Raises:
        ConfigError: the template names an unknown field, gives an empty or too long name
            (BigQuery: 1,024 bytes), or one reserved for aws2bq's own tables.
    """
    if template is None:
        template = MYSQL_TEMPLATE if schema is None else POSTGRES_TEMPLATE
    try:
        name = template.format(db=database, schema=schema or "", table=table)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"bad table name template {template!r}: {exc}",
            hint="use {db}, {schema} and {table}, e.g. {db}__{table}",
        ) from exc
    name = _NOT_IN_NAME.sub("_", name).strip()
    if not name or len(name.encode()) > 1024:
        raise ConfigError(f"table name template {template!r} gives an invalid name {name!r}")
    if name.lower().startswith("_aws2bq_") or name.lower().endswith(NEW_SUFFIX):
        raise ConfigError(f"table name {name!r} is reserved for aws2bq's own tables")
    return name


def table_name(table: RdsTable, template: str | None) -> str:
    """The destination table of a table read from an export (:func:`destination_name`)."""
    return destination_name(table.database, table.schema, table.name, template)
