"""``plan`` names the tables ``run`` creates: one destination-name rule for both."""

from __future__ import annotations

import sqlglot
import sqlglot.expressions as exp

from .conftest import Runner
from .test_run_rds import role_and_key, shop, stream, tables, tasks_of  # noqa: F401 (fixtures)


def _merge_targets(sql: list[str]) -> set[str]:
    out = set()
    for text in sql:
        if text.startswith("MERGE INTO"):
            merge = sqlglot.parse_one(text, read="duckdb")
            assert isinstance(merge, exp.Merge)
            out.add(merge.this.name)
    return out


def test_plan_and_run_name_the_same_rds_tables(
    runner: Runner,
    bucket: str,
    shop: str,  # noqa: F811
    role_and_key: tuple[str, str],  # noqa: F811
) -> None:
    """A template whose result needs cleaning (a dot and a "!" are not table-name
    characters) gives the same names in plan's SQL as in the tables run creates."""
    sb = runner.sandbox
    toml = (
        stream("shop", shop, bucket, role_and_key, table_name_template='"{db}.{table}!"')
        + '[streams.shop.tables."shop.customers"]\nmode = "merge"\nkeys = ["id"]\n'
    )
    config = runner.config(toml)
    first = runner.run(config, wait=True).streams[0]
    assert first.status == "ok" and len(first.applied) == 1, first.error
    created = tables(runner)
    assert "shop_customers_" in created, created
    # A newer snapshot's export, completed but not applied: plan shows its merge.
    sb.advance_clock(hours=48)
    sb.rds.create_snapshot(shop, f"{shop}-second")
    started = runner.run(config, wait=False).streams[0]
    assert started.status == "ok" and started.started, started
    sb.advance_clock(hours=1)
    # The sandbox moves a task STARTING → IN_PROGRESS → COMPLETE over DescribeExportTasks.
    for _ in range(4):
        if all(t["Status"] == "COMPLETE" for t in tasks_of(sb, bucket)):
            break
    assert all(t["Status"] == "COMPLETE" for t in tasks_of(sb, bucket))
    plan = runner.run(config, plan_only=True).streams[0]
    assert plan.status == "ok", plan.error
    assert len(plan.applied) == 1, plan
    assert _merge_targets(plan.sql) == {"shop_customers_"}
    # And run applies it to that very table (no other appears).
    second = runner.run(config, wait=True).streams[0]
    assert second.status == "ok" and len(second.applied) == 1, second.error
    assert tables(runner) == created
