"""Client-side helpers for the sandbox's RDS: thin wrappers over real boto3 calls.

    rds = sandbox.rds
    rds.create_instance("shop-db", backing="sample://shop")
    role, key = rds.export_role(), rds.kms_key()
    snap = rds.create_snapshot("shop-db", "shop-1")
    task = rds.export(snap, bucket="exports", task_id="shop-1", prefix="rds")
    rds.download_export("exports", "rds", "shop-1", Path("out"))

Every AWS-side effect goes through the real API (CreateDBInstance with the ``aws2bq:backing``
tag, CreateDBSnapshot, StartExportTask, ...); only what AWS has no API for (automated snapshots
on demand, forced failures, changing the sample data) uses the sandbox's control endpoints.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from aws2bq.errors import SandboxError
from aws2bq.sandbox.handle import SandboxHandle
from aws2bq.sandbox.rds_exports import BACKING_TAG, TERMINAL

_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "export.rds.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


class RdsSandbox:
    """RDS helpers bound to one :class:`~aws2bq.sandbox.api.Sandbox`."""

    def __init__(self, sandbox: SandboxHandle) -> None:
        self.sandbox = sandbox
        self.client = sandbox.client("rds")

    # -- instances and clusters --------------------------------------------------------------
    def create_instance(
        self, identifier: str, *, backing: str | None, engine: str = "mysql"
    ) -> dict[str, Any]:
        """CreateDBInstance backed by ``backing`` (a DSN or ``sample://shop``; None = no data)."""
        tags = [{"Key": BACKING_TAG, "Value": backing}] if backing else []
        # moto 5.2 has no default version for mariadb and fails without one.
        version = {"EngineVersion": "10.11.8"} if engine == "mariadb" else {}
        result: dict[str, Any] = self.client.create_db_instance(
            DBInstanceIdentifier=identifier,
            Engine=engine,
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            MasterUsername="admin",
            MasterUserPassword="sandbox-password",
            Tags=tags,
            **version,
        )["DBInstance"]
        return result

    def create_cluster(
        self, identifier: str, *, backing: str | None, engine: str = "aurora-mysql"
    ) -> dict[str, Any]:
        """CreateDBCluster (Aurora) backed by ``backing``."""
        tags = [{"Key": BACKING_TAG, "Value": backing}] if backing else []
        result: dict[str, Any] = self.client.create_db_cluster(
            DBClusterIdentifier=identifier,
            Engine=engine,
            MasterUsername="admin",
            MasterUserPassword="sandbox-password",
            Tags=tags,
        )["DBCluster"]
        return result

    # -- what an export needs ----------------------------------------------------------------
    def export_role(self, name: str = "aws2bq-rds-export") -> str:
        """An IAM role trusted by export.rds.amazonaws.com (created once); returns its ARN."""
        iam = self.sandbox.client("iam")
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except iam.exceptions.NoSuchEntityException:
            role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(_TRUST))[
                "Role"
            ]
        return str(role["Arn"])

    def kms_key(self, alias: str = "alias/aws2bq-rds-export") -> str:
        """A KMS key for exports (created once, found again by alias); returns its ARN."""
        kms = self.sandbox.client("kms")
        try:
            return str(kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"])
        except kms.exceptions.NotFoundException:
            arn = str(kms.create_key(Description="aws2bq sandbox exports")["KeyMetadata"]["Arn"])
            kms.create_alias(AliasName=alias, TargetKeyId=arn)
            return arn

    # -- snapshots ---------------------------------------------------------------------------
    def create_snapshot(self, instance: str, snapshot: str) -> str:
        """A manual snapshot (captures the backing now); returns its ARN."""
        return str(
            self.client.create_db_snapshot(
                DBInstanceIdentifier=instance, DBSnapshotIdentifier=snapshot
            )["DBSnapshot"]["DBSnapshotArn"]
        )

    def create_cluster_snapshot(self, cluster: str, snapshot: str) -> str:
        """A manual cluster snapshot; returns its ARN."""
        return str(
            self.client.create_db_cluster_snapshot(
                DBClusterIdentifier=cluster,
                DBClusterSnapshotIdentifier=snapshot,
            )["DBClusterSnapshot"]["DBClusterSnapshotArn"]
        )

    def create_automated_snapshot(
        self, *, instance: str | None = None, cluster: str | None = None
    ) -> dict[str, Any]:
        """An automated ``rds:<id>-YYYY-MM-DD-HH-MM`` snapshot taken now (sandbox clock)."""
        payload = (
            {"db_cluster_identifier": cluster} if cluster else {"db_instance_identifier": instance}
        )
        return self._control("rds/automated-snapshot", {**payload, "region": self.sandbox.region})

    # -- exports -----------------------------------------------------------------------------
    def start_export(
        self,
        source_arn: str,
        *,
        bucket: str,
        task_id: str,
        prefix: str = "",
        export_only: list[str] | None = None,
        iam_role_arn: str | None = None,
        kms_key_id: str | None = None,
    ) -> dict[str, Any]:
        """StartExportTask with the sandbox's export role and key unless others are given."""
        kwargs: dict[str, Any] = {
            "ExportTaskIdentifier": task_id,
            "SourceArn": source_arn,
            "S3BucketName": bucket,
            "IamRoleArn": iam_role_arn or self.export_role(),
            "KmsKeyId": kms_key_id or self.kms_key(),
        }
        if prefix:
            kwargs["S3Prefix"] = prefix
        if export_only:
            kwargs["ExportOnly"] = export_only
        result: dict[str, Any] = self.client.start_export_task(**kwargs)
        return result

    def wait_export(self, task_id: str, *, timeout: float = 60.0) -> dict[str, Any]:
        """Describe the task until it is COMPLETE, FAILED or CANCELED; returns the last state."""
        deadline = time.monotonic() + timeout
        while True:
            task: dict[str, Any] = self.client.describe_export_tasks(ExportTaskIdentifier=task_id)[
                "ExportTasks"
            ][0]
            if task["Status"] in TERMINAL:
                return task
            if time.monotonic() > deadline:
                raise SandboxError(f"export {task_id} is still {task['Status']} after {timeout}s")
            time.sleep(0.01)

    def export(
        self,
        source_arn: str,
        *,
        bucket: str,
        task_id: str,
        prefix: str = "",
        export_only: list[str] | None = None,
    ) -> dict[str, Any]:
        """Start an export and wait for it to finish."""
        self.start_export(
            source_arn, bucket=bucket, task_id=task_id, prefix=prefix, export_only=export_only
        )
        return self.wait_export(task_id)

    def fail_next_export(self, cause: str | None = None) -> None:
        """Make the next started export end FAILED (with ``cause`` as its FailureCause)."""
        self._control("rds/fail-next-export", {"cause": cause} if cause else {})

    def download_export(self, bucket: str, prefix: str, task_id: str, dest_dir: Path) -> list[Path]:
        """Copy every object of an export to ``dest_dir`` (same relative layout)."""
        s3 = self.sandbox.client("s3")
        root = f"{prefix.strip('/')}/{task_id}/" if prefix.strip("/") else f"{task_id}/"
        written = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=root):
            for obj in page.get("Contents", []):
                target = dest_dir / obj["Key"][len(root) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, obj["Key"], str(target))
                written.append(target)
        return written

    # -- the sample dataset ------------------------------------------------------------------
    def sample_execute(
        self, *statements: str, instance: str | None = None, cluster: str | None = None
    ) -> dict[str, Any]:
        """Run SQL (SQLite dialect) on a sample-backed instance's data, e.g. for a demo."""
        target = (
            {"db_cluster_identifier": cluster} if cluster else {"db_instance_identifier": instance}
        )
        return self._control(
            "rds/sample", {**target, "region": self.sandbox.region, "statements": list(statements)}
        )

    def _control(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.sandbox.control("POST", name, payload)
        if "error" in result:
            raise SandboxError(f"sandbox endpoint {name} refused: {result['error']}")
        return result
