"""The SQL DuckDB runs over what its stagers landed: typed rows, change sets, loss counts.

Pure functions of a staged handle (:mod:`.staging`, :mod:`.incremental_staging`,
:mod:`.rds_staging` made it), a schema or plan and :data:`~.dialect.DUCKDB`; the warehouse
(:class:`~.client.DuckDBWarehouse`) runs them. The SQL itself is the core's
(:mod:`aws2bq.core.dynamodb_sql`, :mod:`aws2bq.core.rds_sql`), rendered in this dialect; this
module picks, per staged shape, which of the core's builders reads it.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot.expressions as exp

from aws2bq.core import dynamodb_incremental as inc
from aws2bq.core import dynamodb_json_sql, dynamodb_sql, rds_sql
from aws2bq.core.rds_types import Engine, TablePlan
from aws2bq.core.schema import TableSchema
from aws2bq.core.widening import Widening
from aws2bq.warehouses.base import Dialect, StagedExport, StagedRdsTable
from aws2bq.warehouses.duckdb import incremental_staging, staging
from aws2bq.warehouses.duckdb.dialect import DUCKDB


class DuckDBSql(Dialect):
    """DuckDB's :class:`~aws2bq.warehouses.base.Dialect` (stateless: one per process)."""

    capabilities = DUCKDB

    def dynamodb_typed_select(
        self, staged: StagedExport, schema: TableSchema, system_values: Mapping[str, exp.Expression]
    ) -> exp.Select:
        handle: staging.Handle = staged.handle
        if handle.columns is None:  # read_json's MAP table
            return dynamodb_sql.typed_select(
                staged.table.expression(), schema, system_values, self.capabilities
            )
        return dynamodb_sql.shaped_typed_select(
            staged.table.expression(), handle.columns, schema, system_values, self.capabilities
        )

    def dynamodb_widening(self) -> Widening:
        return Widening(self.capabilities, dynamodb_json_sql.descriptor_json)

    def dynamodb_changes_select(self, staged: StagedExport, schema: TableSchema) -> exp.Select:
        handle: incremental_staging.Handle = staged.handle
        changes = incremental_staging.changes_table(staged)
        data = inc.data_schema(schema)
        if handle.changes is not None:  # the Arrow stager's spilled change columns
            typed = dynamodb_sql.shaped_typed_select(
                changes,
                handle.changes.images["NewImage"],
                data,
                {},
                self.capabilities,
                keys=handle.changes.images["Keys"],
            )
        else:
            typed = dynamodb_sql.typed_select(changes, data, {}, self.capabilities, inc.ITEM)
        return inc.changes_select(typed, self.capabilities)

    def rds_typed_select(
        self,
        staged: StagedRdsTable,
        plan: TablePlan,
        system_values: Mapping[str, exp.Expression],
        engine: Engine,
    ) -> exp.Query:
        return rds_sql.typed_select(plan, staged.sources, system_values, self.capabilities, engine)

    def rds_loss_select(
        self, staged: StagedRdsTable, plan: TablePlan, engine: Engine
    ) -> exp.Select | None:
        return rds_sql.loss_select(plan, staged.sources, self.capabilities, engine)


SQL = DuckDBSql()
