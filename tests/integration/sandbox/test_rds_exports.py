"""Sandbox RDS exports through the real API: layout, metadata, status, errors (sample backing).

These tests need no database server: the instances are backed by the bundled sample.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from aws2bq.sandbox import Sandbox
from aws2bq.sandbox.rds_helpers import RdsSandbox

SAMPLE_TABLES = ["customers", "order_items", "orders", "products"]


@pytest.fixture
def rds(sandbox: Sandbox) -> RdsSandbox:
    return sandbox.rds


@pytest.fixture
def bucket(sandbox: Sandbox, unique: str) -> str:
    name = f"rds-exports-{unique}"
    sandbox.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def settings(sandbox: Sandbox) -> Iterator[Any]:
    """Change sandbox settings for one test; the previous values come back afterwards."""
    before = sandbox.settings()
    yield sandbox.settings
    sandbox.settings(**before)


def keys(sandbox: Sandbox, bucket: str) -> list[str]:
    pages = sandbox.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(o["Key"] for p in pages for o in p.get("Contents", []))


def get(sandbox: Sandbox, bucket: str, key: str) -> bytes:
    body: bytes = sandbox.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def read_table(sandbox: Sandbox, bucket: str, folder: str) -> tuple[list[dict[str, Any]], Any]:
    """Every row under a table folder, and the Parquet schema of its first file."""
    rows: list[dict[str, Any]] = []
    schema = None
    for key in keys(sandbox, bucket):
        if key.startswith(folder + "/") and key.endswith(".gz.parquet"):
            f = pq.ParquetFile(io.BytesIO(get(sandbox, bucket, key)))
            schema = schema or f.schema
            rows.extend(f.read().to_pylist())
    return rows, schema


def physical(schema: Any, name: str) -> str:
    """Physical Parquet type of a top-level column."""
    return str(schema.column(schema.names.index(name)).physical_type)


def test_sample_export_layout_metadata_and_status_sequence(
    sandbox: Sandbox, rds: RdsSandbox, bucket: str, unique: str
) -> None:
    rds.create_instance(f"shop-{unique}", backing="sample://shop")
    snap_arn = rds.create_snapshot(f"shop-{unique}", f"snap-{unique}")
    started = rds.start_export(snap_arn, bucket=bucket, task_id=f"exp-{unique}", prefix="rds/daily")
    assert started["Status"] == "STARTING"
    seen = []
    for _ in range(4):
        task = rds.client.describe_export_tasks(ExportTaskIdentifier=f"exp-{unique}")[
            "ExportTasks"
        ][0]
        seen.append(task["Status"])
    assert seen == ["STARTING", "IN_PROGRESS", "COMPLETE", "COMPLETE"]
    assert task["PercentProgress"] == 100
    assert task["SourceType"] == "SNAPSHOT"
    assert task["S3Bucket"] == bucket and task["S3Prefix"] == "rds/daily"
    assert task["IamRoleArn"].endswith(":role/aws2bq-rds-export")
    assert task["KmsKeyId"] == rds.kms_key()
    assert task["TotalExtractedDataInGB"] == 0
    assert task["TaskStartTime"] <= task["TaskEndTime"]
    snapshot = rds.client.describe_db_snapshots(DBSnapshotIdentifier=f"snap-{unique}")[
        "DBSnapshots"
    ][0]
    assert task["SnapshotTime"] == snapshot["SnapshotCreateTime"]

    root = f"rds/daily/exp-{unique}"
    listing = keys(sandbox, bucket)
    assert f"{root}/export_info_exp-{unique}.json" in listing
    assert f"{root}/export_tables_info_exp-{unique}_from_1_to_4.json" in listing
    part = re.compile(rf"^{root}/shop/shop\.(\w+)/1/part-00000-[0-9a-f-]{{36}}-c000\.gz\.parquet$")
    assert sorted(m.group(1) for k in listing if (m := part.match(k))) == SAMPLE_TABLES
    for table in SAMPLE_TABLES:
        assert f"{root}/shop/shop.{table}/1/_SUCCESS" in listing

    info = json.loads(get(sandbox, bucket, f"{root}/export_info_exp-{unique}.json"))
    assert set(info) == {
        "exportTaskIdentifier",
        "sourceArn",
        "exportOnly",
        "snapshotTime",
        "taskStartTime",
        "taskEndTime",
        "s3Bucket",
        "s3Prefix",
        "exportedFilesPath",
        "iamRoleArn",
        "kmsKeyId",
        "status",
        "percentProgress",
        "totalExportedDataInGB",
    }
    assert info["exportTaskIdentifier"] == f"exp-{unique}" and info["sourceArn"] == snap_arn
    assert info["status"] == "COMPLETE" and info["percentProgress"] == 100
    assert info["exportOnly"] == [] and info["s3Bucket"] == bucket
    assert info["exportedFilesPath"] == root and info["s3Prefix"] == "rds/daily"
    assert 0 < info["totalExportedDataInGB"] < 0.01
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", info["snapshotTime"])

    tables_info = json.loads(
        get(sandbox, bucket, f"{root}/export_tables_info_exp-{unique}_from_1_to_4.json")
    )
    statuses = {t["target"]: t for t in tables_info["perTableStatus"]}
    assert sorted(statuses) == [f"shop.{t}" for t in SAMPLE_TABLES]
    customers = statuses["shop.customers"]
    assert customers["status"] == "COMPLETE"
    assert customers["tableStatistics"]["partitioningInfo"] == {
        "numberOfPartitions": 1,
        "numberOfCompletedPartitions": 1,
    }
    assert 0 < customers["sizeGB"] < 0.001
    mappings = {m["columnName"]: m for m in customers["schemaMetadata"]["originalTypeMappings"]}
    assert mappings["loyalty_points"] == {
        "columnName": "loyalty_points",
        "originalType": "bigint unsigned",
        "expectedExportedType": "decimal(20,0)",
        "originalCharMaxLength": 0,
        "originalNumPrecision": 20,
        "originalDateTimePrecision": 0,
    }
    assert mappings["email"]["originalCharMaxLength"] == 255
    assert mappings["created_at"]["originalDateTimePrecision"] == 6

    rows, schema = read_table(sandbox, bucket, f"{root}/shop/shop.customers")
    assert len(rows) == 120
    assert physical(schema, "loyalty_points") == "FIXED_LEN_BYTE_ARRAY"
    assert max(r["loyalty_points"] for r in rows) == 18446744073709551615 - 40


def test_sample_is_mutable_and_snapshots_are_points_in_time(
    sandbox: Sandbox, rds: RdsSandbox, bucket: str, unique: str
) -> None:
    instance = f"demo-{unique}"
    rds.create_instance(instance, backing="sample://shop")
    first = rds.create_snapshot(instance, f"before-{unique}")
    rds.sample_execute(
        "DELETE FROM orders WHERE id = 1",
        "UPDATE products SET price = '1.00' WHERE id = 2",
        "INSERT INTO orders VALUES (401, 3, 'paid', '12.50', '2024-05-01 10:00:00', NULL, NULL)",
        instance=instance,
    )
    second = rds.create_snapshot(instance, f"after-{unique}")
    assert rds.export(first, bucket=bucket, task_id=f"before-{unique}")["Status"] == "COMPLETE"
    assert rds.export(second, bucket=bucket, task_id=f"after-{unique}")["Status"] == "COMPLETE"
    before, _ = read_table(sandbox, bucket, f"before-{unique}/shop/shop.orders")
    after, _ = read_table(sandbox, bucket, f"after-{unique}/shop/shop.orders")
    assert {r["id"] for r in before} == set(range(1, 401))
    assert {r["id"] for r in after} == set(range(2, 402))
    products, _ = read_table(sandbox, bucket, f"after-{unique}/shop/shop.products")
    assert [str(p["price"]) for p in products if p["id"] == 2] == ["1.00"]


def test_multi_partition_multi_file_and_mixed_decimal_storage(
    sandbox: Sandbox, rds: RdsSandbox, bucket: str, unique: str, settings: Any
) -> None:
    settings(
        rds_rows_per_file=30,
        rds_rows_per_partition=70,
        rds_decimal_storage="mixed",
        rds_tables_per_info_file=3,
    )
    rds.create_instance(f"big-{unique}", backing="sample://shop")
    arn = rds.create_snapshot(f"big-{unique}", f"big-{unique}")
    rds.export(
        arn, bucket=bucket, task_id=f"big-{unique}", export_only=["shop.customers", "shop.products"]
    )
    root = f"big-{unique}"
    listing = keys(sandbox, bucket)
    files = [k for k in listing if k.startswith(f"{root}/shop/shop.customers/")]
    # 120 rows: partition 1 = 70 rows (30 + 30 + 10), partition 2 = 50 rows (30 + 20)
    layout = [(k.split("/")[3], k.split("/")[4].split("-")[1]) for k in files if "parquet" in k]
    assert layout == [
        ("1", "00000"),
        ("1", "00001"),
        ("1", "00002"),
        ("2", "00000"),
        ("2", "00001"),
    ]
    assert f"{root}/shop/shop.customers/2/_SUCCESS" in listing
    assert not any("shop.orders" in k for k in listing if k.startswith(root))
    # ExportOnly keeps two tables; 3 tables per info file → one file covering 1..2
    assert f"{root}/export_tables_info_{root}_from_1_to_2.json" in listing
    info = json.loads(get(sandbox, bucket, f"{root}/export_tables_info_{root}_from_1_to_2.json"))
    customers = next(t for t in info["perTableStatus"] if t["target"] == "shop.customers")
    assert customers["tableStatistics"]["partitioningInfo"]["numberOfPartitions"] == 2
    price_types = set()
    for key in (
        k for k in listing if k.startswith(f"{root}/shop/shop.products/") and "parquet" in k
    ):
        price_types.add(
            pq.ParquetFile(io.BytesIO(get(sandbox, bucket, key))).schema.column(3).physical_type
        )
    assert price_types == {"INT64", "FIXED_LEN_BYTE_ARRAY"}  # DECIMAL(10,2) stored both ways
    rows, _ = read_table(sandbox, bucket, f"{root}/shop/shop.customers")
    assert sorted(r["id"] for r in rows) == list(range(1, 121))


def test_tables_info_split_over_several_files(
    sandbox: Sandbox, rds: RdsSandbox, bucket: str, unique: str, settings: Any
) -> None:
    settings(rds_tables_per_info_file=3)
    rds.create_instance(f"split-{unique}", backing="sample://shop")
    arn = rds.create_snapshot(f"split-{unique}", f"split-{unique}")
    rds.export(arn, bucket=bucket, task_id=f"split-{unique}")
    names = [k.split("/")[-1] for k in keys(sandbox, bucket) if "export_tables_info" in k]
    assert names == [
        f"export_tables_info_split-{unique}_from_1_to_3.json",
        f"export_tables_info_split-{unique}_from_4_to_4.json",
    ]


def test_failed_and_canceled_exports(
    rds: RdsSandbox, sandbox: Sandbox, bucket: str, unique: str
) -> None:
    rds.create_instance(f"f-{unique}", backing="sample://shop")
    arn = rds.create_snapshot(f"f-{unique}", f"f-{unique}")
    rds.fail_next_export("disk full (test)")
    failed = rds.export(arn, bucket=bucket, task_id=f"fail-{unique}")
    assert failed["Status"] == "FAILED" and failed["FailureCause"] == "disk full (test)"
    assert "TaskEndTime" in failed

    rds.start_export(arn, bucket=bucket, task_id=f"cancel-{unique}")
    canceling = rds.client.cancel_export_task(ExportTaskIdentifier=f"cancel-{unique}")
    assert canceling["Status"] == "CANCELING"
    assert rds.wait_export(f"cancel-{unique}")["Status"] == "CANCELED"
    with pytest.raises(ClientError) as err:
        rds.client.cancel_export_task(ExportTaskIdentifier=f"cancel-{unique}")
    assert err.value.response["Error"]["Code"] == "InvalidExportTaskStateFault"
    assert not [
        k for k in keys(sandbox, bucket) if f"cancel-{unique}" in k or f"fail-{unique}" in k
    ]


def test_missing_bucket_role_key_and_duplicate_identifier(
    sandbox: Sandbox, rds: RdsSandbox, bucket: str, unique: str
) -> None:
    rds.create_instance(f"e-{unique}", backing="sample://shop")
    arn = rds.create_snapshot(f"e-{unique}", f"e-{unique}")
    role, key = rds.export_role(), rds.kms_key()

    def code(**overrides: Any) -> str:
        kwargs = {
            "ExportTaskIdentifier": f"err-{unique}",
            "SourceArn": arn,
            "S3BucketName": bucket,
            "IamRoleArn": role,
            "KmsKeyId": key,
            **overrides,
        }
        with pytest.raises(ClientError) as err:
            rds.client.start_export_task(**kwargs)
        return str(err.value.response["Error"]["Code"])

    assert code(IamRoleArn="arn:aws:iam::123456789012:role/nope") == "IamRoleNotFound"
    assert code(IamRoleArn="not-an-arn") == "InvalidParameterValue"
    assert (
        code(KmsKeyId="arn:aws:kms:us-east-1:123456789012:key/0000") == "KMSKeyNotAccessibleFault"
    )
    assert code(S3BucketName=f"missing-{unique}") == "InvalidS3BucketFault"
    assert code(ExportTaskIdentifier="1-bad--id") == "InvalidParameterValue"
    assert code(ExportOnly=["shop.a.b"]) == "InvalidExportOnly"
    untrusting = sandbox.client("iam").create_role(
        RoleName=f"plain-{unique}",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                    }
                ],
            }
        ),
    )
    assert code(IamRoleArn=untrusting["Role"]["Arn"]) == "IamRoleMissingPermissions"
    kms = sandbox.client("kms")
    disabled = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)
    assert code(KmsKeyId=disabled) == "KMSKeyNotAccessibleFault"
    rds.start_export(arn, bucket=bucket, task_id=f"dup-{unique}")
    assert code(ExportTaskIdentifier=f"dup-{unique}") == "ExportTaskAlreadyExists"


def test_bucket_deleted_before_completion_fails_the_task(
    sandbox: Sandbox, rds: RdsSandbox, unique: str
) -> None:
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=f"gone-{unique}")
    rds.create_instance(f"g-{unique}", backing="sample://shop")
    arn = rds.create_snapshot(f"g-{unique}", f"g-{unique}")
    rds.start_export(arn, bucket=f"gone-{unique}", task_id=f"gone-{unique}")
    s3.delete_bucket(Bucket=f"gone-{unique}")
    task = rds.wait_export(f"gone-{unique}")
    assert task["Status"] == "FAILED" and f"gone-{unique}" in task["FailureCause"]


def test_describe_filters_and_pagination(rds: RdsSandbox, bucket: str, unique: str) -> None:
    rds.create_instance(f"pg-{unique}", backing="sample://shop")
    arn = rds.create_snapshot(f"pg-{unique}", f"pg-{unique}")
    ids = [f"page-{unique}-{i:02d}" for i in range(25)]
    role, key = rds.export_role(), rds.kms_key()
    for task_id in ids:
        rds.start_export(arn, bucket=bucket, task_id=task_id, iam_role_arn=role, kms_key_id=key)
    starting = rds.client.describe_export_tasks(
        Filters=[
            {"Name": "status", "Values": ["starting"]},
            {"Name": "source-arn", "Values": [arn]},
        ],
        MaxRecords=100,
    )
    assert sorted(t["ExportTaskIdentifier"] for t in starting["ExportTasks"]) == ids
    # two more looks at the first task complete it; the status filter takes lowercase values
    for _ in range(2):
        rds.client.describe_export_tasks(
            Filters=[{"Name": "export-task-identifier", "Values": [ids[0]]}]
        )
    complete = rds.client.describe_export_tasks(
        Filters=[
            {"Name": "export-task-identifier", "Values": ids[:2]},
            {"Name": "status", "Values": ["complete"]},
        ]
    )
    assert [t["ExportTaskIdentifier"] for t in complete["ExportTasks"]] == [ids[0]]
    by_arn = rds.client.get_paginator("describe_export_tasks").paginate(
        SourceArn=arn, PaginationConfig={"PageSize": 20}
    )
    pages = [[t["ExportTaskIdentifier"] for t in p["ExportTasks"]] for p in by_arn]
    assert [len(p) for p in pages] == [20, 5] and sorted(i for p in pages for i in p) == ids
    by_bucket = rds.client.describe_export_tasks(
        Filters=[{"Name": "s3-bucket", "Values": [bucket]}], MaxRecords=100
    )
    assert len(by_bucket["ExportTasks"]) == 25 and "Marker" not in by_bucket
    with pytest.raises(ClientError) as err:
        rds.client.describe_export_tasks(Filters=[{"Name": "nope", "Values": ["x"]}])
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_automated_snapshots_use_the_sandbox_clock(
    sandbox: Sandbox, rds: RdsSandbox, unique: str
) -> None:
    rds.create_instance(f"auto-{unique}", backing="sample://shop")
    sandbox.advance_clock(hours=30)
    made = rds.create_automated_snapshot(instance=f"auto-{unique}")
    now = sandbox.now()
    expected = f"rds:auto-{unique}-{now:%Y-%m-%d-%H}"
    assert made["snapshot_identifier"].startswith(expected)
    found = rds.client.describe_db_snapshots(
        DBInstanceIdentifier=f"auto-{unique}", SnapshotType="automated"
    )["DBSnapshots"]
    ours = [s for s in found if s["DBSnapshotIdentifier"] == made["snapshot_identifier"]]
    assert ours and ours[0]["SnapshotType"] == "automated"
    assert abs((ours[0]["SnapshotCreateTime"] - now).total_seconds()) < 60
    manual = rds.client.describe_db_snapshots(
        DBInstanceIdentifier=f"auto-{unique}", SnapshotType="manual"
    )["DBSnapshots"]
    assert made["snapshot_identifier"] not in [s["DBSnapshotIdentifier"] for s in manual]


def test_aurora_cluster_and_cluster_snapshot_exports(
    sandbox: Sandbox, rds: RdsSandbox, bucket: str, unique: str
) -> None:
    cluster = f"aurora-{unique}"
    arn = rds.create_cluster(cluster, backing="sample://shop")["DBClusterArn"]
    snap = rds.create_cluster_snapshot(cluster, f"csnap-{unique}")
    rds.sample_execute("DELETE FROM products", cluster=cluster)
    from_snapshot = rds.export(snap, bucket=bucket, task_id=f"cs-{unique}")
    from_cluster = rds.export(arn, bucket=bucket, task_id=f"cl-{unique}")
    assert from_snapshot["SourceType"] == "SNAPSHOT" and from_cluster["SourceType"] == "CLUSTER"
    before, _ = read_table(sandbox, bucket, f"cs-{unique}/shop/shop.products")
    now, _ = read_table(sandbox, bucket, f"cl-{unique}/shop/shop.products")
    assert len(before) == 40 and now == []
    # an empty table still has one partition with a schema-only file and _SUCCESS
    assert f"cl-{unique}/shop/shop.products/1/_SUCCESS" in keys(sandbox, bucket)


def test_bad_backing_is_refused_at_create(rds: RdsSandbox, unique: str) -> None:
    for backing, engine in [
        ("sample://nope", "mysql"),
        ("sample://shop", "postgres"),
        ("ftp://x", "mysql"),
        ("mysql://root@127.0.0.1:1/x", "mysql"),
    ]:
        with pytest.raises(ClientError) as err:
            rds.create_instance(f"bad-{unique}", backing=backing, engine=engine)
        assert err.value.response["Error"]["Code"] == "InvalidParameterValue", backing


def test_download_export(rds: RdsSandbox, bucket: str, unique: str, tmp_path: Path) -> None:
    rds.create_instance(f"dl-{unique}", backing="sample://shop")
    arn = rds.create_snapshot(f"dl-{unique}", f"dl-{unique}")
    rds.export(
        arn, bucket=bucket, task_id=f"dl-{unique}", prefix="a/b", export_only=["shop.orders"]
    )
    files = rds.download_export(bucket, "a/b", f"dl-{unique}", tmp_path)
    names = sorted(str(f.relative_to(tmp_path)) for f in files)
    assert names[0] == f"export_info_dl-{unique}.json"
    assert next(n for n in names if n.startswith("shop/")) == "shop/shop.orders/1/_SUCCESS"
    data = [f for f in files if f.suffix == ".parquet"]
    assert len(data) == 1 and pq.read_table(data[0]).num_rows == 400
