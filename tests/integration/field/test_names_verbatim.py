"""Issue 10.7: attribute and column names are kept verbatim where the warehouse accepts them.

BigQuery's flexible column names take letters and digits of any script, marks, connector
punctuation, dashes, spaces and ``& % = + : ' < > # |``
(https://cloud.google.com/bigquery/docs/schemas#flexible-column-names); DuckDB takes any
non-empty name. Only what a warehouse forbids is replaced; collisions (case-insensitive) get
``_2``, ``_3``…; the original name is in the column description.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aws2bq.core.naming import BIGQUERY_NAMES, DUCKDB_NAMES, NameRule
from aws2bq.sandbox import Sandbox

from .conftest import Target, local_export

#: source name → the column it becomes in (DuckDB, BigQuery).
NAMES: dict[str, tuple[str, str]] = {
    "名前": ("名前", "名前"),
    "住所": ("住所", "住所"),
    "café": ("café", "café"),
    "first name": ("first name", "first name"),
    "a-b": ("a-b", "a-b"),
    "1st": ("1st", "1st"),
    "50% & more": ("50% & more", "50% & more"),
    "a.b": ("a.b", "a_b"),
    "cost($)": ("cost($)", "cost_"),
    "x/y": ("x/y", "x_y"),
    "_TABLE_SUFFIX": ("_TABLE_SUFFIX", "c__TABLE_SUFFIX"),
    "_aws2bq_export_id": ("c__aws2bq_export_id", "c__aws2bq_export_id"),
}


def rule(target: Target) -> NameRule:
    return BIGQUERY_NAMES if target.is_bigquery else DUCKDB_NAMES


def test_names_are_kept_verbatim_where_the_warehouse_accepts_them(
    target: Target, tmp_path: Path
) -> None:
    item = {"pk": {"S": "1"}} | {n: {"S": f"v{k}"} for k, n in enumerate(NAMES)}
    target.load_dynamodb(local_export(tmp_path / "src", [item], files=1))
    column = {n: pair[1 if target.is_bigquery else 0] for n, pair in NAMES.items()}
    columns = target.columns()
    assert set(column.values()) <= set(columns)
    (row,) = target.rows()
    descriptions = target.column_descriptions()
    for k, (source, name) in enumerate(column.items()):
        assert row[name] == f"v{k}", source
        assert descriptions[name] == f"source attribute: {source}"


def test_collisions_stay_deterministic_and_case_insensitive(target: Target, tmp_path: Path) -> None:
    names = ["名前", "Name", "name", "a.b", "a_b"]
    item = {"pk": {"S": "1"}} | {n: {"S": n} for n in names}
    target.load_dynamodb(local_export(tmp_path / "src", [item], files=1))
    (row,) = target.rows()
    lowered = [c.lower() for c in row]
    assert len(lowered) == len(set(lowered))
    descriptions = target.column_descriptions()
    by_source = {d.split(": ", 1)[1]: c for c, d in descriptions.items() if d}
    for n in names:
        assert row[by_source[n]] == n
    assert by_source["Name"] == "Name" and by_source["name"] == "name_2"
    if target.is_bigquery:
        assert (by_source["a.b"], by_source["a_b"]) == ("a_b", "a_b_2")
    else:
        assert (by_source["a.b"], by_source["a_b"]) == ("a.b", "a_b")


@pytest.mark.mariadb
def test_rds_column_names_are_kept_verbatim(
    target: Target, sandbox: Sandbox, mariadb, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    mariadb.execute(
        "CREATE TABLE people (id INT PRIMARY KEY, `名前` VARCHAR(20), `住所` VARCHAR(20), "
        "`e-mail` VARCHAR(20))",
        "INSERT INTO people VALUES (1, '山田', '東京', 'a@b')",
    )
    bucket = f"names-{unique}"
    sandbox.client("s3").create_bucket(Bucket=bucket)
    instance = f"names-{unique}"
    sandbox.rds.create_instance(instance, backing=mariadb.dsn)
    arn = sandbox.rds.create_snapshot(instance, f"{instance}-s1")
    done = sandbox.rds.export(arn, bucket=bucket, task_id=f"{instance}-e1", prefix="rds")
    assert done["Status"] == "COMPLETE"
    report = target.load_rds(f"s3://{bucket}/rds/{instance}-e1/")
    assert not report.failed, report.to_dict()
    table = f"{mariadb.name}__people"
    (row,) = target.rows(table, ("id", "名前", "住所", "e-mail"), order_by="id")
    assert row == {"id": 1, "名前": "山田", "住所": "東京", "e-mail": "a@b"}
