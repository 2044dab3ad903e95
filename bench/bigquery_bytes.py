"""Benchmark: bytes a 1% change costs on BigQuery in merge and history mode (issue 13, fault 17).

    .venv/bin/python -m bench.bigquery_bytes --project PROJECT [--rows 1000000] [--location US]
    .venv/bin/python -m bench.bigquery_bytes --model [--rows 1000000]

With ``--project`` (a real project; Application Default Credentials): creates a dataset with
a target table of ``--rows`` rows made by aws2bq's own DDL (clustered by its key ``id``) and
a change set of 1% of the keys, in two shapes — *recent* (the highest ids: updates of the
newest rows and appended ones, the usual shape of an incremental export) and *random* (keys
spread over the whole key space) — then dry-runs aws2bq's merge and history statements for
each, without the key filter (the baseline, measured in the same run) and with it, and
prints the bytes BigQuery says each will process and the ratio to the baseline. The dataset
is deleted at the end. Nothing is billed: dry runs only, plus the two CREATE TABLE AS SELECT
that make the data (a few MB).

With ``--model``: the same figures from BigQuery's documented formula, no project needed.
For a DML statement on a non-partitioned table BigQuery processes ``q + t``: ``q`` the
columns the statement reads (the change set, and the target columns it scans, which the
key filter prunes to the changed keys' blocks), ``t`` the size of the whole target when the
statement updates or deletes (https://cloud.google.com/bigquery/docs/reference/standard-sql/
dml-syntax#on-demand_query_size_calculation). So a MERGE that updates processes at least
the whole table: pruning lowers ``q`` only; only partitioning by a column the changes
concentrate in lowers ``t``. Column sizes from https://cloud.google.com/bigquery/pricing
#data_size_calculation.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import UTC, datetime

#: The bench table: (column, BigQuery type, bytes per value by the documented sizes).
COLUMNS = (
    ("id", "INT64", 8),
    ("name", "STRING", 2 + 20),
    ("amount", "NUMERIC", 16),
    ("status", "STRING", 2 + 8),
    ("updated_at", "TIMESTAMP", 8),
    ("payload", "STRING", 2 + 100),
)
SYSTEM = (("_aws2bq_export_id", "STRING", 2 + 20), ("_aws2bq_exported_at", "TIMESTAMP", 8))


def model(rows: int) -> None:
    row = sum(size for _, _, size in COLUMNS + SYSTEM)
    table = rows * row
    changed = rows // 100
    change_set = changed * (sum(s for _, _, s in COLUMNS) + 2 + 6 + 8)
    key_bytes = rows * 8
    print(f"model: {rows:,} rows of {row} bytes = {table:,} bytes; 1% = {changed:,} changes")
    for name, scanned in (("no key filter", key_bytes), ("key filter, recent keys",
                                                         key_bytes // 100)):  # fmt: skip
        q = change_set + scanned
        print(f"  MERGE ({name}): q = {q:,} + t = {table:,} → {q + table:,} bytes "
              f"({(q + table) / table:.2f}× the table)")  # fmt: skip
    print(
        "  t (the whole target) is billed by every UPDATE / DELETE / MERGE-with-UPDATE on a "
        "non-partitioned table: 'changed rows plus key columns' is not reachable there."
    )


def live(project: str, rows: int, location: str, endpoint: str | None = None) -> None:
    import sqlglot.expressions as exp
    from google.cloud import bigquery

    from aws2bq.core.apply import Mode
    from aws2bq.core.change_apply import change_steps, create_target
    from aws2bq.core.key_prune import key_bounds_select, key_filter, key_values_select
    from aws2bq.core.ledger import LedgerEntry
    from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
    from aws2bq.warehouses import connect
    from aws2bq.warehouses.bigquery.client import BigQueryWarehouse
    from aws2bq.warehouses.bigquery.dialect import BIGQUERY
    from aws2bq.warehouses.bigquery.dynamodb_sql import _fill

    kinds = {"INT64": Kind.INT64, "STRING": Kind.STRING, "NUMERIC": Kind.NUMERIC,
             "TIMESTAMP": Kind.TIMESTAMP}  # fmt: skip
    columns = [Column(n, ColumnType(kinds[t]), n, Role.KEY if n == "id" else Role.DATA)
               for n, t, _ in COLUMNS]  # fmt: skip
    columns += [Column(n, ColumnType(kinds[t]), n, Role.SYSTEM) for n, t, _ in SYSTEM]
    schema = TableSchema(tuple(columns), 1, ("id",))
    dataset = f"aws2bq_bench_{uuid.uuid4().hex[:8]}"
    # --endpoint: bqemulator, to try the bench itself (it counts no bytes).
    suffix = f"&endpoint={endpoint}&emulator=true" if endpoint else ""
    wh = connect(f"bigquery://{project}/{dataset}?location={location}{suffix}")
    assert isinstance(wh, BigQueryWarehouse)
    now = datetime.now(UTC)
    try:
        for mode in (Mode.MERGE, Mode.HISTORY):
            target = f"t_{mode}"
            wh.execute(create_target(target, dataset, schema, mode, False, BIGQUERY))
            rows_sql = _fill(
                "SELECT id, CONCAT('name ', CAST(id AS STRING)), CAST(id AS NUMERIC), 'active', "
                "CURRENT_TIMESTAMP(), REPEAT('x', 100), 'E1', CURRENT_TIMESTAMP() "
                "FROM UNNEST(GENERATE_ARRAY(1, __n__)) AS id",
                n=exp.Literal.number(rows),
            )
            assert isinstance(rows_sql, exp.Select)
            if mode is Mode.HISTORY:
                rows_sql = rows_sql.select(
                    "CURRENT_TIMESTAMP()", "CAST(NULL AS TIMESTAMP)", "TRUE", "FALSE",
                    dialect="bigquery",
                )  # fmt: skip
            wh.execute(exp.insert(rows_sql, exp.table_(target, db=dataset, quoted=True)))
        changed = rows // 100
        half = changed // 2
        n = exp.Literal.number
        shapes = {
            "recent": _fill("SELECT id FROM UNNEST(GENERATE_ARRAY(__a__, __b__)) AS id",
                            a=n(rows - half + 1), b=n(rows + half)),
            "random": _fill("SELECT id FROM UNNEST(GENERATE_ARRAY(1, __b__)) AS id "
                            "WHERE MOD(id, 100) = 7", b=n(rows)),
        }  # fmt: skip
        entry = LedgerEntry("bench", "dynamodb", "E2", "", "incremental", "", now, "merge", 0,
                            0, 0, 0, schema, {}, now, 0.0, "bench")  # fmt: skip
        size = wh.client.get_table(f"{project}.{dataset}.t_merge").num_bytes
        print(f"{rows:,} rows; target table: {size:,} bytes")
        for shape, keys in shapes.items():
            change_rows = _fill(
                "SELECT id, 'new name' AS name, CAST(id AS NUMERIC) AS amount, 'changed' AS "
                "status, CURRENT_TIMESTAMP() AS updated_at, REPEAT('y', 100) AS payload, "
                "'upsert' AS _aws2bq_op, CURRENT_TIMESTAMP() AS _aws2bq_change_at"
            )
            assert isinstance(change_rows, exp.Select)
            change_rows = change_rows.from_(
                exp.Subquery(this=keys, alias=exp.TableAlias(this=exp.to_identifier("k")))
            )
            wh.execute(
                exp.Create(this=exp.table_(f"c_{shape}", db=dataset, quoted=True), kind="TABLE",
                           replace=True, expression=change_rows)
            )  # fmt: skip
            changes = exp.select("*").from_(exp.table_(f"c_{shape}", db=dataset, quoted=True))
            ((low, high, count),) = wh.query(key_bounds_select(changes, schema))
            values = [r[0] for r in wh.query(key_values_select(changes, schema))]
            prune = key_filter(schema, (low, high, count), values)
            for mode in (Mode.MERGE, Mode.HISTORY):
                measured = {}
                for label, filt in (("baseline", None), ("key filter", prune)):
                    steps = change_steps(mode=mode, soft_delete=False, table=f"t_{mode}",
                                         dataset=dataset, schema=schema, changes=changes,
                                         entry=entry, caps=BIGQUERY, table_exists=True,
                                         previous=schema, prune=filt)  # fmt: skip
                    statement = steps.transaction[0]
                    sql = wh.render(statement)
                    if mode is Mode.HISTORY:  # the temp table's SELECT reads the target
                        sql = wh.render(statement.expression)
                    measured[label] = wh.dry_run(sql) or 0
                ratio = measured["key filter"] / max(measured["baseline"], 1)
                print(
                    f"  {shape:6} {mode:7}: baseline {measured['baseline']:,} bytes, with the "
                    f"key filter {measured['key filter']:,} bytes (ratio {ratio:.3f})"
                )
    finally:
        wh.client.delete_dataset(f"{project}.{dataset}", delete_contents=True,
                                 not_found_ok=True)  # fmt: skip
        wh.close()
    del bigquery


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", help="a real project (dry runs; two small CTAS)")
    parser.add_argument("--location", default="US")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--model", action="store_true", help="the documented formula only")
    parser.add_argument("--endpoint", help="bqemulator's endpoint (tries the bench; no bytes)")
    args = parser.parse_args()
    if args.model or not args.project:
        if not args.model:
            print("no --project: printing the documented-formula model (see --help)")
        model(args.rows)
        return 0
    live(args.project, args.rows, args.location, args.endpoint)
    return 0


if __name__ == "__main__":
    sys.exit(main())
