"""RDS snapshots and snapshot exports in the sandbox, backed by real databases.

moto's RDS keeps snapshots as metadata and its export writes nothing. This module patches
moto's ``RDSBackend`` (inside the sandbox server process) so that:

- a DB instance or cluster is **backed** by a real database or the bundled sample, chosen by
  the tag ``aws2bq:backing`` on CreateDBInstance / CreateDBCluster:

  - ``mysql://root@127.0.0.1:3306/shop`` — one database on a MariaDB/MySQL server;
    ``mysql://root@127.0.0.1:3306/?databases=shop,crm`` several; ``mysql://root@127.0.0.1:3306/``
    every non-system database. Engines mysql, mariadb, aurora-mysql.
  - ``postgresql://postgres@127.0.0.1:5432/shop`` (``?databases=a,b`` for several; every
    non-system schema of each). Engines postgres, aurora-postgresql.
  - ``sample://shop`` — the bundled shop (:mod:`aws2bq.sandbox.rds_sample`), a fresh SQLite copy
    per instance in the state directory, changeable with the ``rds/sample`` control endpoint.
    MySQL-family engines.

  Without the tag an instance has no data and its exports list no tables. A DSN that cannot
  be parsed, reached, or that does not match the engine fails the create call with
  ``InvalidParameterValue``.
- CreateDBSnapshot / CreateDBClusterSnapshot (and the automated snapshot moto takes when an
  instance is created) **capture** the backing at that moment (:mod:`aws2bq.sandbox.rds_backings`);
  SnapshotCreateTime is the sandbox clock. Automated snapshots ``rds:<id>-YYYY-MM-DD-HH-MM`` are
  taken through ``POST /_aws2bq/rds/automated-snapshot``.
- StartExportTask validates as AWS does and the task runs STARTING → IN_PROGRESS → COMPLETE over
  successive DescribeExportTasks calls (``export_polls`` calls per step); on completion the
  export is written into moto's S3 (:mod:`aws2bq.sandbox.rds_writer`). ``POST
  /_aws2bq/rds/fail-next-export`` makes the next started task end FAILED; CancelExportTask goes
  through CANCELING to CANCELED. An Aurora cluster ARN as SourceArn exports "from a clone" taken
  when the task starts (SourceType CLUSTER).

Errors (codes from botocore's model of StartExportTask): malformed ExportTaskIdentifier or IAM role
ARN → ``InvalidParameterValue`` (message of the ExportTaskIdentifier error as AWS words it, seen in
aws-samples/rds-snapshot-export-to-s3-pipeline#2); role not in IAM → ``IamRoleNotFound``; role
that does not trust ``export.rds.amazonaws.com`` → ``IamRoleMissingPermissions``; key unknown or
not enabled in KMS → ``KMSKeyNotAccessibleFault``; bucket missing at start →
``InvalidS3BucketFault``
(deleted before the task completes → task FAILED with a FailureCause); duplicate identifier →
``ExportTaskAlreadyExists``; bad ExportOnly entry → ``InvalidExportOnly``; cancelling a finished
task → ``InvalidExportTaskStateFault``.

Not confirmed against AWS (chosen as stated): the exact error messages; whether a missing bucket
fails the call or the task (AWS lists InvalidS3BucketFault for the call, so the call fails);
SourceType of a cluster *snapshot* export (SNAPSHOT here; moto says CLUSTER); the timestamp format
inside export_info (ISO 8601 UTC here); exportedFilesPath (the export's key prefix here); the
number of tables per export_tables_info file; an empty table's files (one partition with a
schema-only file here); the skipped-table entry's exact fields; DescribeExportTasks with an
unknown identifier (ExportTaskNotFound, as moto); the 5-concurrent-exports quota (not enforced).
"""

from __future__ import annotations

import base64
import re
import shutil
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from aws2bq.sandbox.rds_backings import Backing, BackingError, Capture, parse_backing
from aws2bq.sandbox.rds_writer import ExportRequest, write_export
from aws2bq.sandbox.state import SandboxState

BACKING_TAG = "aws2bq:backing"
TERMINAL = frozenset({"COMPLETE", "FAILED", "CANCELED"})
_IDENTIFIER = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)$")
_EXPORT_ONLY_PART = re.compile(r"^[A-Za-z0-9$_]+$")
_FILTERS = {
    "export-task-identifier": "export_task_identifier",
    "s3-bucket": "s3_bucket",
    "source-arn": "source_arn",
    "status": "status",
}

_state: SandboxState | None = None
#: (account, region, "db"|"cluster", identifier) -> backing
_backings: dict[tuple[str, str, str, str], Backing] = {}
#: causes queued by ``rds/fail-next-export``; the next started task takes the first
_fail_next: list[str] = []


def _st() -> SandboxState:
    if _state is None:
        raise RuntimeError("rds_exports.install() was not called")
    return _state


def _error(code: str, message: str) -> Exception:
    from moto.rds.exceptions import RDSClientError

    return RDSClientError(code, message)


# -- export tasks -----------------------------------------------------------------------------
class SandboxExportTask:
    """An export task whose attributes moto's serializer turns into AWS's ExportTask shape."""

    def __init__(
        self, request: ExportRequest, capture: Capture, source_type: str, fail_cause: str | None
    ) -> None:
        self.request = request
        self.capture = capture
        self.fail_cause = fail_cause
        self.describes = 0
        self.export_task_identifier = request.task_id
        self.source_arn = request.source_arn
        self.export_only = request.export_only or None  # AWS omits an empty list
        self.snapshot_time = request.snapshot_time
        self.task_start_time = request.task_start_time
        self.task_end_time: datetime | None = None
        self.s3_bucket = request.bucket
        self.s3_prefix = request.prefix
        self.iam_role_arn = request.iam_role_arn
        self.kms_key_id = request.kms_key_id
        self.status = "STARTING"
        self.percent_progress = 0
        self.total_extracted_data_in_gb = 0
        self.failure_cause: str | None = None
        self.warning_message: str | None = None
        self.source_type = source_type

    def advance(self, state: SandboxState, account: str) -> None:
        """One DescribeExportTasks call has looked at this task: move it along."""
        if self.status in TERMINAL:
            return
        if self.status == "CANCELING":
            self._end("CANCELED", state)
            return
        self.describes += 1
        polls = max(0, state.settings.export_polls)
        if self.describes <= polls:
            self.status = "STARTING"
        elif self.describes <= 2 * polls:
            self.status = "IN_PROGRESS"
            self.percent_progress = min(99, (self.describes - polls) * 100 // (polls + 1))
        else:
            self._finish(state, account)

    def cancel(self) -> None:
        if self.status in TERMINAL or self.status == "CANCELING":
            raise _error(
                "InvalidExportTaskStateFault",
                f"Cannot cancel export task {self.export_task_identifier} because it "
                f"is in the {self.status} state.",
            )
        self.status = "CANCELING"

    def _end(self, status: str, state: SandboxState) -> None:
        self.status = status
        self.task_end_time = state.clock.now()

    def _finish(self, state: SandboxState, account: str) -> None:
        if self.fail_cause is not None:
            self.failure_cause = self.fail_cause
            self._end("FAILED", state)
            return
        s3 = _s3(account)
        try:
            s3.get_bucket(self.s3_bucket)
        except Exception:
            self.failure_cause = (
                f"The S3 bucket {self.s3_bucket} doesn't exist or RDS is not "
                "authorized to write to it."
            )
            self._end("FAILED", state)
            return
        end = state.clock.now()
        result = write_export(
            self.capture,
            self.request,
            state.settings,
            lambda key, body: s3.put_object(self.s3_bucket, key, body),
            end,
        )
        self.total_extracted_data_in_gb = int(result.total_bytes // 1024**3)
        self.warning_message = result.warning_message
        self.percent_progress = 100
        self.status = "COMPLETE"
        self.task_end_time = end


def _s3(account: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[account]["global"]


# -- patches ----------------------------------------------------------------------------------
def _tag_value(tags: Any, key: str) -> str | None:
    for tag in tags or []:
        if (tag.get("Key") or tag.get("key")) == key:
            value = tag.get("Value") or tag.get("value")
            return str(value) if value is not None else None
    return None


def _register(backend: Any, kind: str, identifier: str, engine: str, tags: Any) -> None:
    dsn = _tag_value(tags, BACKING_TAG)
    key = (backend.account_id, backend.region_name, kind, identifier)
    if dsn is None:
        _backings.pop(key, None)
        return
    sample = (
        _st().state_dir / "rds" / "samples" / f"{backend.region_name}-{kind}-{identifier}.sqlite"
    )
    try:
        backing = parse_backing(dsn, sample)
        backing.check_engine(engine or "")
        backing.check()
    except BackingError as exc:
        raise _error("InvalidParameterValue", f"Tag {BACKING_TAG}: {exc}") from exc
    _backings[key] = backing


def _capture(backend: Any, kind: str, identifier: str, engine: str) -> Capture:
    state = _st()
    directory = state.state_dir / "rds" / "captures" / uuid.uuid4().hex
    directory.mkdir(parents=True)
    backing = _backings.get((backend.account_id, backend.region_name, kind, identifier))
    if backing is None:
        family = "postgres" if "postgres" in (engine or "") else "mysql"
        capture = Capture(directory, family, [])
        capture.save()
        return capture
    try:
        return backing.capture(directory, max(1, state.settings.rds_capture_batch_rows))
    except Exception as exc:
        shutil.rmtree(directory, ignore_errors=True)
        raise _error(
            "InvalidDBInstanceState",
            f"The sandbox could not read the backing of {identifier}: {exc}",
        ) from exc


def _stamp(snapshot: Any, capture: Capture) -> None:
    now = _st().clock.now()
    snapshot.created = now
    if hasattr(snapshot, "original_snapshot_create_time"):
        snapshot.original_snapshot_create_time = now
    snapshot.aws2bq_capture = str(capture.directory)


def _install_backend_patches() -> None:
    from moto.rds.models import RDSBackend as _RDSBackend

    # moto is typed; the patch replaces its methods on purpose.
    RDSBackend: Any = _RDSBackend
    original_create_instance = RDSBackend.create_db_instance
    original_create_cluster = RDSBackend.create_db_cluster
    original_db_snapshot = RDSBackend.create_db_snapshot
    original_cluster_snapshot = RDSBackend.create_db_cluster_snapshot
    original_delete_db_snapshot = RDSBackend.delete_db_snapshot

    def create_db_instance(self: Any, db_kwargs: dict[str, Any]) -> Any:
        identifier = db_kwargs["db_instance_identifier"]
        if identifier not in self.databases and not db_kwargs.get("db_cluster_identifier"):
            _register(self, "db", identifier, db_kwargs.get("engine", ""), db_kwargs.get("tags"))
        return original_create_instance(self, db_kwargs)

    def create_db_cluster(self: Any, kwargs: dict[str, Any]) -> Any:
        _register(
            self,
            "cluster",
            kwargs["db_cluster_identifier"],
            kwargs.get("engine", ""),
            kwargs.get("tags"),
        )
        return original_create_cluster(self, kwargs)

    def create_db_snapshot(
        self: Any,
        db_instance_identifier: str,
        db_snapshot_identifier: str,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        snapshot = original_db_snapshot(
            self, db_instance_identifier, db_snapshot_identifier, *args, **kwargs
        )
        try:
            capture = _capture(self, "db", db_instance_identifier, snapshot.engine)
        except Exception:
            self.database_snapshots.pop(db_snapshot_identifier, None)
            raise
        _stamp(snapshot, capture)
        return snapshot

    def create_db_cluster_snapshot(
        self: Any,
        db_cluster_identifier: str,
        db_cluster_snapshot_identifier: str,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        snapshot = original_cluster_snapshot(
            self, db_cluster_identifier, db_cluster_snapshot_identifier, *args, **kwargs
        )
        try:
            capture = _capture(self, "cluster", db_cluster_identifier, snapshot.cluster.engine)
        except Exception:
            self.cluster_snapshots.pop(db_cluster_snapshot_identifier, None)
            raise
        _stamp(snapshot, capture)
        return snapshot

    def delete_db_snapshot(self: Any, db_snapshot_identifier: str) -> Any:
        snapshot = original_delete_db_snapshot(self, db_snapshot_identifier)
        if getattr(snapshot, "aws2bq_capture", None) and not _exported(self, snapshot):
            shutil.rmtree(snapshot.aws2bq_capture, ignore_errors=True)
        return snapshot

    RDSBackend.create_db_instance = create_db_instance
    RDSBackend.create_db_cluster = create_db_cluster
    RDSBackend.create_db_snapshot = create_db_snapshot
    RDSBackend.create_db_cluster_snapshot = create_db_cluster_snapshot
    RDSBackend.delete_db_snapshot = delete_db_snapshot
    RDSBackend.start_export_task = start_export_task
    RDSBackend.cancel_export_task = cancel_export_task


def _exported(backend: Any, snapshot: Any) -> bool:
    """Whether a running export still needs the snapshot's captured files."""
    return any(
        isinstance(t, SandboxExportTask)
        and t.status not in TERMINAL
        and str(t.capture.directory) == snapshot.aws2bq_capture
        for t in backend.export_tasks.values()
    )


def _validate_role(account: str, arn: str) -> None:
    from moto.iam.models import iam_backends

    if not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+", arn):
        raise _error(
            "InvalidParameterValue",
            "The IAM role ARN value is invalid or does not "
            "include the required permissions for: EXPORT_SNAPSHOT",
        )
    try:
        role = iam_backends[account]["global"].get_role_by_arn(arn)
    except Exception as exc:
        raise _error("IamRoleNotFound", f"The IAM role {arn} doesn't exist.") from exc
    if "export.rds.amazonaws.com" not in str(role.assume_role_policy_document):
        raise _error(
            "IamRoleMissingPermissions",
            f"The IAM role {arn} can't be assumed by export.rds.amazonaws.com.",
        )


def _validate_kms(account: str, region: str, key_id: str) -> str:
    from moto.kms.models import kms_backends

    kms = kms_backends[account][region]
    try:
        key = kms.describe_key(key_id)
    except Exception as exc:
        raise _error(
            "KMSKeyNotAccessibleFault",
            f"The specified KMS key [{key_id}] does not "
            "exist, is not enabled or you do not have permissions to access it.",
        ) from exc
    if getattr(key, "key_state", "Enabled") != "Enabled":
        raise _error(
            "KMSKeyNotAccessibleFault",
            f"The specified KMS key [{key_id}] does not "
            "exist, is not enabled or you do not have permissions to access it.",
        )
    return key_id


def _validate_export_only(entries: list[str], engine: str) -> None:
    most = 3 if engine == "postgres" else 2
    for entry in entries:
        parts = entry.split(".")
        if len(parts) > most or not all(_EXPORT_ONLY_PART.match(p) for p in parts):
            raise _error(
                "InvalidExportOnly",
                f"The ExportOnly entry {entry!r} is not valid: use "
                + ("database[.schema[.table]]" if most == 3 else "database[.table]")
                + " with names of letters, digits, '$' and '_'.",
            )


def _source(backend: Any, arn: str) -> tuple[Capture, datetime, str]:
    """The captured data, snapshot time and SourceType of an export's SourceArn."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "rds":
        raise _error("InvalidParameterValue", f"The source ARN {arn} is not valid.")
    kind, name = parts[5], ":".join(parts[6:])
    if kind == "snapshot":
        snapshot = backend.database_snapshots.get(name)
        if snapshot is None:
            raise _error("DBSnapshotNotFound", f"DBSnapshot {name} not found.")
    elif kind == "cluster-snapshot":
        snapshot = backend.cluster_snapshots.get(name)
        if snapshot is None:
            raise _error("DBClusterSnapshotNotFoundFault", f"DBClusterSnapshot {name} not found.")
    elif kind == "cluster":
        cluster = backend.clusters.get(name)
        if cluster is None:
            raise _error("DBClusterNotFoundFault", f"DBCluster {name} not found.")
        # Exporting a cluster exports a clone made now (AuroraUserGuide export-cluster-data).
        capture = _capture(backend, "cluster", name, cluster.engine)
        return capture, _st().clock.now(), "CLUSTER"
    else:
        raise _error("InvalidParameterValue", f"The source ARN {arn} is not a snapshot or cluster.")
    if snapshot.status != "available":
        raise _error(
            "InvalidExportSourceState",
            f"Export source should be 'available' but current status is {snapshot.status}.",
        )
    directory = getattr(snapshot, "aws2bq_capture", None)
    if directory is None:  # a snapshot moto made without us (e.g. a copy): no data
        engine = getattr(snapshot, "engine", None) or snapshot.cluster.engine
        capture = _capture(backend, "none", name, engine)
        snapshot.aws2bq_capture = str(capture.directory)
        directory = snapshot.aws2bq_capture
    return Capture.load(Path(directory)), snapshot.created, "SNAPSHOT"


def start_export_task(self: Any, kwargs: dict[str, Any]) -> SandboxExportTask:
    """Patched ``RDSBackend.start_export_task``: validate as AWS does, then queue the task."""
    task_id = str(kwargs["export_task_identifier"])
    if not _IDENTIFIER.match(task_id):
        raise _error(
            "InvalidParameterValue",
            "The parameter ExportTaskIdentifier is not a valid "
            "identifier. Identifiers must begin with a letter; must contain only ASCII "
            "letters, digits, and hyphens; and must not end with a hyphen or contain two "
            "consecutive hyphens.",
        )
    if task_id in self.export_tasks:
        raise _error(
            "ExportTaskAlreadyExists",
            "Cannot start export task because a task with "
            f"the identifier {task_id} already exists.",
        )
    account, region = self.account_id, self.region_name
    _validate_role(account, str(kwargs["iam_role_arn"]))
    kms_key_id = _validate_kms(account, region, str(kwargs["kms_key_id"]))
    bucket = str(kwargs["s3_bucket_name"])
    try:
        _s3(account).get_bucket(bucket)
    except Exception as exc:
        raise _error(
            "InvalidS3BucketFault",
            f"The S3 bucket {bucket} doesn't exist or RDS is not authorized to access it.",
        ) from exc
    export_only = [str(e) for e in kwargs.get("export_only") or []]
    capture, snapshot_time, source_type = _source(self, str(kwargs["source_arn"]))
    _validate_export_only(export_only, capture.engine)
    state = _st()
    with state.lock:
        fail_cause = _fail_next.pop(0) if _fail_next else None
    request = ExportRequest(
        task_id=task_id,
        source_arn=str(kwargs["source_arn"]),
        bucket=bucket,
        prefix=str(kwargs.get("s3_prefix") or ""),
        iam_role_arn=str(kwargs["iam_role_arn"]),
        kms_key_id=kms_key_id,
        export_only=export_only,
        snapshot_time=snapshot_time,
        task_start_time=state.clock.now(),
    )
    task = SandboxExportTask(request, capture, source_type, fail_cause)
    self.export_tasks[task_id] = task
    return task


def cancel_export_task(self: Any, export_task_identifier: str) -> SandboxExportTask:
    """Patched ``RDSBackend.cancel_export_task``: CANCELING now, CANCELED on the next describe."""
    task = self.export_tasks.get(export_task_identifier)
    if not isinstance(task, SandboxExportTask):
        raise _error(
            "ExportTaskNotFound",
            "Cannot cancel export task because a task with the "
            f"identifier {export_task_identifier} is not exist.",
        )
    task.cancel()
    return task


def _describe_export_tasks(response: Any) -> Any:
    """Patched ``RDSResponse.describe_export_tasks``: filters, progress and pagination."""
    from moto.core.responses import ActionResult

    backend = response.backend
    params = response.params
    tasks = [t for t in backend.export_tasks.values() if isinstance(t, SandboxExportTask)]
    task_id = params.get("ExportTaskIdentifier")
    if task_id:
        tasks = [t for t in tasks if t.export_task_identifier == task_id]
        if not tasks:
            raise _error(
                "ExportTaskNotFound", f"Cannot find export task with identifier {task_id}."
            )
    if params.get("SourceArn"):
        tasks = [t for t in tasks if t.source_arn == params["SourceArn"]]
    if params.get("SourceType"):
        tasks = [t for t in tasks if t.source_type == params["SourceType"]]
    filters = {f["Name"]: list(f["Values"]) for f in params.get("Filters") or []}
    unknown = set(filters) - set(_FILTERS)
    if unknown:
        raise _error(
            "InvalidParameterValue",
            f"Unrecognized filter name(s): {sorted(unknown)}. Supported: {sorted(_FILTERS)}.",
        )
    for name in ("export-task-identifier", "s3-bucket", "source-arn"):
        if name in filters:
            tasks = [t for t in tasks if getattr(t, _FILTERS[name]) in filters[name]]
    for task in tasks:  # a describe is what moves a sandbox export along
        task.advance(_st(), backend.account_id)
    if "status" in filters:  # documented as lowercase values
        tasks = [t for t in tasks if t.status.lower() in filters["status"]]
    max_records = int(params.get("MaxRecords") or 100)
    if not 20 <= max_records <= 100:
        raise _error(
            "InvalidParameterValue",
            f"Invalid value {max_records} for MaxRecords. Must be between 20 and 100.",
        )
    start = 0
    if params.get("Marker"):
        try:
            start = int(base64.urlsafe_b64decode(params["Marker"].encode()).decode())
        except ValueError as exc:
            raise _error("InvalidParameterValue", "The marker is not valid.") from exc
    page = tasks[start : start + max_records]
    result: dict[str, Any] = {"ExportTasks": page}
    if start + max_records < len(tasks):
        result["Marker"] = base64.urlsafe_b64encode(str(start + max_records).encode()).decode()
    return ActionResult(result)


# -- control endpoints ------------------------------------------------------------------------
def _backend(payload: dict[str, Any]) -> Any:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.rds.models import rds_backends

    account = payload.get("account_id", DEFAULT_ACCOUNT_ID)
    return rds_backends[account][payload.get("region", "us-east-1")]


def _automated_snapshot(method: str, payload: dict[str, Any]) -> dict[str, Any]:
    """``POST rds/automated-snapshot {"db_instance_identifier"|"db_cluster_identifier"}``."""
    if method != "POST":
        raise KeyError("use POST /_aws2bq/rds/automated-snapshot")
    backend = _backend(payload)
    stamp = _st().clock.now().strftime("%Y-%m-%d-%H-%M")
    try:
        if payload.get("db_cluster_identifier"):
            cluster = payload["db_cluster_identifier"]
            snapshot = backend.create_auto_cluster_snapshot(cluster, f"rds:{cluster}-{stamp}")
            return {
                "snapshot_identifier": snapshot.db_cluster_snapshot_identifier,
                "snapshot_arn": snapshot.arn,
                "snapshot_create_time": snapshot.created,
            }
        instance = payload["db_instance_identifier"]
        snapshot = backend.create_auto_snapshot(instance, f"rds:{instance}-{stamp}")
    except Exception as exc:
        if isinstance(exc, KeyError | ValueError):
            raise
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc
    return {
        "snapshot_identifier": snapshot.db_snapshot_identifier,
        "snapshot_arn": snapshot.arn,
        "snapshot_create_time": snapshot.created,
    }


def _fail_next_export(method: str, payload: dict[str, Any]) -> dict[str, Any]:
    """``POST rds/fail-next-export {"cause": "..."}``: the next started export ends FAILED."""
    if method == "POST":
        cause = payload.get("cause") or "The export failed: injected by the aws2bq sandbox."
        with _st().lock:
            _fail_next.append(str(cause))
    elif method == "DELETE":
        with _st().lock:
            _fail_next.clear()
    return {"queued": list(_fail_next)}


def _sample(method: str, payload: dict[str, Any]) -> dict[str, Any]:
    """``POST rds/sample {"db_instance_identifier"|"db_cluster_identifier", "statements": []}``.

    Runs SQLite statements on the sample data of a sample-backed instance or cluster.
    """
    from aws2bq.sandbox import rds_sample
    from aws2bq.sandbox.rds_backings import SampleBacking

    backend = _backend(payload)
    kind = "cluster" if payload.get("db_cluster_identifier") else "db"
    identifier = payload.get("db_cluster_identifier") or payload["db_instance_identifier"]
    backing = _backings.get((backend.account_id, backend.region_name, kind, identifier))
    if not isinstance(backing, SampleBacking):
        raise KeyError(f"{kind} {identifier} is not backed by a sample (tag {BACKING_TAG})")
    if method != "POST":
        return {"path": str(backing.path)}
    return rds_sample.execute(backing.path, list(payload["statements"]), payload.get("params"))


def install(state: SandboxState) -> None:
    """Patch moto's RDS (inside the sandbox server process) and register control endpoints."""
    global _state
    from moto.rds.responses import RDSResponse

    from aws2bq.sandbox.control import register_endpoint

    _state = state
    _install_backend_patches()
    response_cls: Any = RDSResponse
    response_cls.describe_export_tasks = _describe_export_tasks
    register_endpoint("rds/automated-snapshot", _automated_snapshot)
    register_endpoint("rds/fail-next-export", _fail_next_export)
    register_endpoint("rds/sample", _sample)
    (state.state_dir / "rds").mkdir(parents=True, exist_ok=True)
