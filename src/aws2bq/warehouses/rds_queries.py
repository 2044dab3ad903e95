"""The RDS-typed SQL of a warehouse's dialect, with what it needs made ready in the warehouse.

The dialect builds the SQL (:class:`~aws2bq.warehouses.base.Dialect`, pure); a statement may
call persistent functions (BigQuery's PostgreSQL array parsers) that the warehouse must create
first, and the loss count is a query. Both RDS snapshot loads and the files source type their
rows with these two calls.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot.expressions as exp

from aws2bq.core.rds_sql import read_losses
from aws2bq.core.rds_types import Engine, TablePlan
from aws2bq.warehouses.base import StagedRdsTable, Warehouse


def typed_select(
    wh: Warehouse,
    staged: StagedRdsTable,
    plan: TablePlan,
    system_values: Mapping[str, exp.Expression],
    engine: Engine,
) -> exp.Query:
    """:meth:`Dialect.rds_typed_select`, its functions created in ``wh``.

    Raises ``UnsupportedStorage`` (from the core) for a storage the plan cannot convert, and
    the warehouse's errors while creating a function.
    """
    wh.ensure_routines(wh.dialect.rds_routines(plan))
    return wh.dialect.rds_typed_select(staged, plan, system_values, engine)


def losses(
    wh: Warehouse, staged: StagedRdsTable, plan: TablePlan, engine: Engine
) -> list[tuple[str, int, str]]:
    """``(column, number of values, an example)`` for every column holding values its
    conversion cannot represent exactly: one query over the staged rows (run after a typed
    query failed, or to widen a plan before typing)."""
    select = wh.dialect.rds_loss_select(staged, plan, engine)
    if select is None:
        return []
    wh.ensure_routines(wh.dialect.rds_routines(plan))
    return read_losses(plan, select, wh.query(select)[0])
