"""Incremental DynamoDB export records in BigQuery: land, deduplicate, profile, change set.

The records load like full-export lines (:mod:`.staging`: one load job per file into a staging
table whose ``Keys`` / ``NewImage`` / ``OldImage`` / ``Metadata`` columns are JSON). One CTAS
keeps the latest record per key into a second staging table with an ``Item`` column, so the
full-export profile and typing SQL apply to it unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import sqlglot.expressions as exp

from aws2bq.core import dynamodb_incremental as inc
from aws2bq.core.dynamodb_profile_sql import read_profile
from aws2bq.core.dynamodb_types import AttributeStats
from aws2bq.core.progress import Progress
from aws2bq.errors import ExportError
from aws2bq.sources.dynamodb.lines import raise_null_element
from aws2bq.warehouses.base import DynamoDBIncrementalStaging, RawFile, StagedExport, TableRef
from aws2bq.warehouses.bigquery import dynamodb_sql
from aws2bq.warehouses.bigquery.host import BigQueryHost

_MICROS = "CAST(JSON_VALUE(__m__, '$.WriteTimestampMicros.N') AS INT64)"


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def dedup_select(stage: exp.Table, keys: Sequence[str], since: dt.datetime | None) -> exp.Select:
    """BigQuery form of :func:`aws2bq.core.dynamodb_incremental.dedup_select`."""
    if not keys:
        raise ValueError("deduplicating incremental records needs the key attributes")
    micros = dynamodb_sql._fill(_MICROS, m=_col("Metadata"))
    deleted = exp.Is(this=_col("NewImage"), expression=exp.null())
    partition = [
        exp.Anonymous(
            this="TO_JSON_STRING",
            expressions=[exp.Bracket(this=_col("Keys"), expressions=[exp.Literal.string(k)])],
        )
        for k in keys
    ]
    order = exp.Order(
        expressions=[
            exp.Ordered(this=micros.copy(), desc=True),
            exp.Ordered(this=deleted.copy(), desc=True),
            exp.Ordered(
                this=exp.Anonymous(this="TO_JSON_STRING", expressions=[_col("NewImage")]),
                desc=True,
            ),
        ]
    )
    window = exp.Window(this=exp.RowNumber(), partition_by=partition, order=order)
    select = exp.select(
        exp.alias_(
            exp.Coalesce(this=_col("NewImage"), expressions=[_col("Keys")]), inc.ITEM, quoted=True
        ),
        exp.alias_(deleted, inc.DELETED, quoted=True),
        exp.alias_(micros, inc.MICROS, quoted=True),
    ).from_(stage)
    if since is not None:
        select = select.where(
            exp.GTE(this=micros.copy(), expression=exp.Literal.number(inc.micros(since)))
        )
    return select.qualify(exp.EQ(this=window, expression=exp.Literal.number(1)))


def expiring(at: dt.datetime) -> exp.Properties:
    """``OPTIONS(expiration_timestamp=TIMESTAMP '…')``: a table a crashed run leaves behind
    deletes itself (https://cloud.google.com/bigquery/docs/reference/standard-sql/
    data-definition-language#table_option_list), like the staging tables made through the API
    (``staging_expiration_hours``)."""
    stamp = exp.Cast(
        this=exp.Literal.string(at.astimezone(dt.UTC).isoformat()),
        to=exp.DataType.build("TIMESTAMP", dialect="bigquery"),
    )
    return exp.Properties(
        expressions=[exp.Property(this=exp.var("expiration_timestamp"), value=stamp)]
    )


def record_keys_select(stage: exp.Table) -> exp.Select:
    """The distinct sets of key attribute names the records' ``Keys`` hold, one row each: a
    JSON array of the names, verbatim (:func:`.dynamodb_sql.attribute_name`: JSON_KEYS
    quotes a name with a dot), sorted."""
    listed = exp.column("q")
    names = dynamodb_sql._fill(
        "TO_JSON_STRING(ARRAY(SELECT __n__ AS k FROM UNNEST(JSON_KEYS(__j__, 1)) AS q ORDER BY k))",
        n=dynamodb_sql.attribute_name(_col("Keys"), listed),
        j=_col("Keys"),
    )
    return exp.select(names).from_(stage).distinct()


def changes_ref(staged: StagedExport) -> TableRef:
    """The second staging table: the latest record per key, as an ``Item`` column."""
    t = staged.table
    return TableRef(t.name + "_changes", t.dataset, t.catalog)


class BigQueryDynamoDBIncrementalStaging(BigQueryHost, DynamoDBIncrementalStaging):
    """The incremental-records ability of :class:`BigQueryWarehouse` (a mixin)."""

    # Provided by the full-export staging mixin.
    def stage_dynamodb_lines(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedExport:
        raise NotImplementedError

    def stage_dynamodb_incremental(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedExport:
        staged = self.stage_dynamodb_lines(files, stream=stream, progress=progress)
        stage = staged.table.expression()
        micros = dynamodb_sql._fill(_MICROS, m=_col("Metadata"))
        bad = exp.or_(
            exp.Is(this=micros, expression=exp.null()),
            exp.Is(this=_col("Keys"), expression=exp.null()),
        )
        # OldImage is never read (nothing of it is applied): not scanning it saves its bytes.
        holding = exp.or_(*(dynamodb_sql.holds_null_element(_col(c)) for c in ("Keys", "NewImage")))
        # One query for both refusals; it reads NewImage too, which the dedup reads anyway.
        ((count, holding_count),) = self.query(
            exp.select(exp.CountIf(this=bad), exp.CountIf(this=holding)).from_(stage)
        )
        if count:
            self.drop_dynamodb_incremental_staging(staged)
            raise ExportError(
                f"{count} record(s) have no Keys or no Metadata.WriteTimestampMicros",
                hint="the files are not incremental export records; check the export",
            )
        if holding_count:
            # A set's null would fail the apply naming no file, an L element's the function.
            self.drop_dynamodb_incremental_staging(staged)
            raise_null_element(list(files))
        return staged

    def dynamodb_record_keys(self, staged: StagedExport) -> list[tuple[str, ...]]:
        rows = self.query(record_keys_select(staged.table.expression()))
        return sorted(tuple(json.loads(r[0])) for r in rows if r[0] is not None)

    def unkeyed_dynamodb_records(self, staged: StagedExport, keys: Sequence[str]) -> int:
        """BigQuery form of :func:`aws2bq.core.dynamodb_incremental.unkeyed_records_select`:
        a key value must be a one-member descriptor object ``{"S"|"N"|"B": …}``, and a
        NewImage's the same JSON as the Keys'."""
        problems: list[exp.Expression] = []
        for k in keys:
            key = exp.Bracket(this=_col("Keys"), expressions=[exp.Literal.string(k)])
            new = exp.Bracket(this=_col("NewImage"), expressions=[exp.Literal.string(k)])
            text = dynamodb_sql._fill("TO_JSON_STRING(__v__)", v=key)
            problems.append(
                dynamodb_sql._fill(
                    "__v__ IS NULL OR NOT REGEXP_CONTAINS(__t__, r'^[{]\"[SNB]\":')",
                    v=key.copy(),
                    t=text,
                )
            )
            problems.append(
                dynamodb_sql._fill(
                    "__n__ IS NOT NULL AND (__nv__ IS NULL OR TO_JSON_STRING(__nv__) != __t__)",
                    n=_col("NewImage"),
                    nv=new,
                    t=text.copy(),
                )
            )
        condition = exp.or_(*(exp.Paren(this=p) for p in problems))
        ((count,),) = self.query(
            exp.select(exp.Count(this=exp.Star())).from_(staged.table.expression()).where(condition)
        )
        return int(count)

    def dedup_dynamodb_changes(
        self, staged: StagedExport, *, keys: Sequence[str], since: dt.datetime | None
    ) -> int:
        target = changes_ref(staged).expression()
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=self.config.staging_expiration_hours)
        self.execute(
            exp.Create(
                this=target,
                kind="TABLE",
                properties=expiring(expires),
                expression=dedup_select(staged.table.expression(), keys, since),
            )
        )
        ((count,),) = self.query(exp.select(exp.Count(this=exp.Star())).from_(target.copy()))
        return int(count)

    def profile_dynamodb_changes(self, staged: StagedExport) -> dict[str, AttributeStats]:
        rows = self.query(dynamodb_sql.profile_select(changes_ref(staged).expression()))
        return read_profile(rows)

    def drop_dynamodb_incremental_staging(self, staged: StagedExport) -> None:
        self.drop_table(changes_ref(staged))
        self.drop_table(staged.table)
