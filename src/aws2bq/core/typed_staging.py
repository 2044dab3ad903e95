"""Typed rows staged in a table of their own before a merge / history apply (issue 12.12).

A merge or history script names every column a dozen times (the diff, the row hash, the
dedup, the MERGE's SET and INSERT, the ledger's schema), and with the typed SELECT inline it
also carries every column's conversion (JSON paths, loss guards: 50–600 characters each).
BigQuery refuses a query longer than 1,024K characters
(https://cloud.google.com/bigquery/quotas#query_jobs), which a table of ~1,500 columns
reached. Staged first, the conversions run in ONE statement of their own
(``CREATE OR REPLACE TABLE … AS <typed SELECT>``, before the transaction: a query job of
its own), and the apply script reads the typed table by column names only.

The typed rows do not depend on the target table, so computing them before the transaction
changes nothing a concurrent runner could see: the diff against the target still runs
inside the transaction. The table is named after the target (``_aws2bq_typed_<table>``, so
a re-run replaces it), dropped after the apply, and expires on its own after ``hours`` if a
crash leaves it (https://cloud.google.com/bigquery/docs/reference/standard-sql/
data-definition-language#table_option_list, ``expiration_timestamp``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlglot.expressions as exp

from aws2bq.errors import ContractError

#: Prefix of a staged typed table (aws2bq's own prefix: never a user's table).
TYPED_PREFIX = "_aws2bq_typed_"
#: BigQuery table names are at most 1,024 UTF-8 bytes; longer target names are hashed.
_MAX_NAME = 1024


@dataclass(frozen=True)
class TypedStage:
    """The statements of one staged typed table."""

    #: ``CREATE OR REPLACE TABLE <typed> OPTIONS(expiration_timestamp=…) AS <typed SELECT>``.
    create: exp.Create
    #: ``SELECT <each column by name> FROM <typed>``: what the apply reads instead.
    rows: exp.Select
    #: ``DROP TABLE IF EXISTS <typed>`` (after the apply, committed or not).
    drop: exp.Drop


def typed_table_name(table: str) -> str:
    """The staged typed table of target ``table`` (deterministic: a re-run replaces it)."""
    name = TYPED_PREFIX + table
    if len(name.encode("utf-8")) <= _MAX_NAME:
        return name
    digest = hashlib.sha1(table.encode("utf-8")).hexdigest()[:16]
    return f"{TYPED_PREFIX}{digest}"


def stage_typed_rows(
    typed: exp.Query, *, table: str, dataset: str | None, hours: int = 24
) -> TypedStage:
    """Statements staging ``typed`` (a SELECT or UNION with named columns) for ``table``.

    ``rows`` lists ``typed``'s columns by name, in its order, so what reads it sees the same
    relation. Raises ``ContractError`` if ``typed`` has an unnamed or ``*`` column.
    """
    names = typed.named_selects
    if len(names) != len(typed.selects) or any(n in ("", "*") for n in names):
        raise ContractError("typed rows need a name for every column to be staged")
    target = exp.table_(typed_table_name(table), db=dataset, quoted=True)
    expires = exp.Property(
        this=exp.var("expiration_timestamp"),
        value=exp.TimestampAdd(
            this=exp.CurrentTimestamp(),
            expression=exp.Literal.number(hours),
            unit=exp.var("HOUR"),
        ),
    )
    create = exp.Create(
        this=target,
        kind="TABLE",
        replace=True,
        expression=typed.copy(),
        properties=exp.Properties(expressions=[expires]),
    )
    rows = exp.select(*(exp.column(n, quoted=True) for n in names)).from_(target.copy())
    drop = exp.Drop(this=target.copy(), kind="TABLE", exists=True)
    return TypedStage(create, rows, drop)
