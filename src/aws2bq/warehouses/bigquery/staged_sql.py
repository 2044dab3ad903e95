"""The SQL BigQuery runs over what its stagers landed: typed rows, change sets, loss counts.

Pure functions of a staged handle (made by :mod:`.staging`, :mod:`.incremental_staging`,
:mod:`.rds_staging`), a schema or plan and :data:`~.dialect.BIGQUERY`, with the persistent
JavaScript functions the SQL calls named in the destination dataset; the warehouse
(:class:`~.client.BigQueryWarehouse`) creates those functions (:meth:`ensure_routines`) and
runs the statements. Imports no SDK.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import sqlglot.expressions as exp

from aws2bq.core import dynamodb_incremental as inc
from aws2bq.core import pg_array, rds_sql
from aws2bq.core.rds_types import Engine, TablePlan
from aws2bq.core.schema import TableSchema
from aws2bq.core.widening import Widening
from aws2bq.warehouses.base import Dialect, Routine, StagedExport, StagedRdsTable
from aws2bq.warehouses.bigquery import dynamodb_sql
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.bigquery.incremental_staging import changes_ref


def array_udf(kind: str, delimiter: str) -> str:
    """The name of the array parser UDF for ``kind`` (``_aws2bq_pg_array_int`` …)."""
    return f"_aws2bq_pg_array_{kind}" + ("" if delimiter == "," else "_semicolon")


class BigQuerySql(Dialect):
    """BigQuery's :class:`~aws2bq.warehouses.base.Dialect` for one destination dataset (where
    the JavaScript functions live)."""

    capabilities = BIGQUERY

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset

    def routine(self, name: str) -> exp.Expression:
        """A persistent function of the destination dataset, as SQL (```dataset`.`name```)."""
        return exp.Dot(
            this=exp.to_identifier(self.dataset, quoted=True),
            expression=exp.to_identifier(name, quoted=True),
        )

    # -- DynamoDB: the JSON function is made by the stager (``_ensure_json_function``) ------
    def dynamodb_typed_select(
        self, staged: StagedExport, schema: TableSchema, system_values: Mapping[str, exp.Expression]
    ) -> exp.Select:
        return dynamodb_sql.typed_select(
            staged.table.expression(),
            schema,
            system_values,
            self.capabilities,
            self.routine(dynamodb_sql.JSON_FUNCTION),
        )

    def dynamodb_widening(self) -> Widening:
        function = self.routine(dynamodb_sql.JSON_FUNCTION)
        return Widening(
            self.capabilities,
            lambda descriptor, content: dynamodb_sql.descriptor_json(function, descriptor, content),
        )

    def dynamodb_changes_select(self, staged: StagedExport, schema: TableSchema) -> exp.Select:
        typed = dynamodb_sql.typed_select(
            changes_ref(staged).expression(),
            inc.data_schema(schema),
            {},
            self.capabilities,
            self.routine(dynamodb_sql.JSON_FUNCTION),
        )
        return inc.changes_select(typed, self.capabilities)

    # -- RDS ------------------------------------------------------------------------------------
    def rds_routines(self, plan: TablePlan) -> Sequence[Routine]:
        """The PostgreSQL array parsers: one JavaScript UDF per element kind and delimiter
        (``_aws2bq_pg_array_int`` …) the plan's array columns use. One argument each: the
        emulator cannot call persistent UDFs of several arguments."""
        return [
            Routine(
                array_udf(kind, delimiter),
                f"var kind = {json.dumps(kind)}, delimiter = {json.dumps(delimiter)};\n"
                + pg_array.JS_FUNCTION_BODY,
                ("text",),
                "aws2bq: PostgreSQL array literal → JSON text (nesting and every value kept)",
            )
            for kind, delimiter in rds_sql.array_parsers_needed(plan)
        ]

    def _array_parser(self, value: exp.Expression, kind: str, delimiter: str) -> exp.Expression:
        return exp.Anonymous(this=self.routine(array_udf(kind, delimiter)), expressions=[value])

    def rds_typed_select(
        self,
        staged: StagedRdsTable,
        plan: TablePlan,
        system_values: Mapping[str, exp.Expression],
        engine: Engine,
    ) -> exp.Query:
        return rds_sql.typed_select(
            plan, staged.sources, system_values, self.capabilities, engine, self._array_parser
        )

    def rds_loss_select(
        self, staged: StagedRdsTable, plan: TablePlan, engine: Engine
    ) -> exp.Select | None:
        return rds_sql.loss_select(
            plan, staged.sources, self.capabilities, engine, self._array_parser
        )
