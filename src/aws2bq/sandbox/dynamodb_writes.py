"""moto patches that record every DynamoDB write, and track PITR and table ids.

Writes are recorded at the API level (moto's ``DynamoHandler`` actions), not inside moto's
models: moto's TransactWriteItems applies its operations one by one and rolls back by swapping
in deep copies of the tables, so a model-level hook would log writes that never happened. Here
each write action runs under one lock, the items it may touch are read before and after, and
only net changes of a call that succeeded are logged, with the sandbox clock's time.

Also patched here, because exports depend on them:

- UpdateContinuousBackups remembers when PITR was enabled (sandbox time), which bounds
  ExportTime and incremental windows; DescribeContinuousBackups reports that window.
- DescribeTable (and every table description) carries a ``TableId``, as on AWS; moto has none.
- DeleteTable drops the table's write log.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from aws2bq.sandbox.dynamodb_changelog import ChangeLog, TableRef, Write
from aws2bq.sandbox.dynamodb_values import WireItem, item_to_wire, key_id, key_of
from aws2bq.sandbox.state import SandboxState

#: Serialises writes and export snapshots: moto's models are not thread-safe, and an export
#: must never see half of a transaction.
WRITE_LOCK = threading.RLock()

#: The process-wide write log (one sandbox server per process).
CHANGELOG = ChangeLog()

_PITR_SINCE = "_aws2bq_pitr_since"
_TABLE_ID = "_aws2bq_table_id"

#: (table name, key as sent) pairs a call may write; None means "any item of any table"
#: (PartiQL, whose targets are only known after parsing the statement).
Targets = list[tuple[str, dict[str, Any]]] | None


# -- table attributes the sandbox adds --------------------------------------------------------
def table_id(table: Any) -> str:
    """The table's TableId (a UUID, fixed for the life of the table)."""
    value = getattr(table, _TABLE_ID, None)
    if value is None:
        value = str(uuid.uuid4())
        setattr(table, _TABLE_ID, value)
    return str(value)


def pitr_since(table: Any) -> float | None:
    """Sandbox time (epoch seconds) PITR was last enabled on the table, None if disabled."""
    status = table.continuous_backups["PointInTimeRecoveryDescription"]
    if status.get("PointInTimeRecoveryStatus") != "ENABLED":
        return None
    since = getattr(table, _PITR_SINCE, None)
    return float(since) if since is not None else None


def key_attrs(table: Any) -> list[str]:
    """Names of the table's primary-key attributes (hash first)."""
    return [a for a in (table.hash_key_attr, table.range_key_attr) if a]


# -- reading the items a call touches --------------------------------------------------------
def _write_targets(action: str, body: dict[str, Any], backend: Any) -> Targets:
    """The items a write action names, from its request body."""
    if action in ("put_item", "update_item", "delete_item"):
        name = body.get("TableName", "")
        key = body.get("Item") if action == "put_item" else body.get("Key")
        return [(name, key or {})]
    if action == "batch_write_item":
        targets: list[tuple[str, dict[str, Any]]] = []
        for name, requests in (body.get("RequestItems") or {}).items():
            for request in requests:
                if "PutRequest" in request:
                    targets.append((name, request["PutRequest"].get("Item", {})))
                elif "DeleteRequest" in request:
                    targets.append((name, request["DeleteRequest"].get("Key", {})))
        return targets
    if action == "transact_write_items":
        targets = []
        for entry in body.get("TransactItems") or []:
            for op_type, op in entry.items():
                if op_type in ("Put", "Update", "Delete"):
                    key = op.get("Item") if op_type == "Put" else op.get("Key")
                    targets.append((op.get("TableName", ""), key or {}))
        return targets
    return None


def _lookup(backend: Any, name: str, attrs: dict[str, Any]) -> Any:
    """The moto Item with the key found in ``attrs`` (a key or a whole item), or None."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = backend.tables.get(name)
    if table is None or table.hash_key_attr not in attrs:
        return None
    hash_value = DynamoType(attrs[table.hash_key_attr])
    range_value = None
    if table.range_key_attr:
        if table.range_key_attr not in attrs:
            return None
        range_value = DynamoType(attrs[table.range_key_attr])
    try:
        return table.get_item(hash_value, range_value)
    except Exception:
        return None


Snapshot = dict[tuple[str, str], tuple[WireItem, WireItem]]  # (table, key id) -> (key, item)


def _snapshot(backend: Any, targets: Targets) -> Snapshot:
    """The current images of the targeted items (of every item when ``targets`` is None)."""
    found: Snapshot = {}

    def add(name: str, item: Any) -> None:
        image = item_to_wire(item)
        key = key_of(image, key_attrs(backend.tables[name]))
        found[(name, key_id(key))] = (key, image)

    if targets is None:
        for name, table in backend.tables.items():
            for item in table.all_items():
                add(name, item)
        return found
    for name, attrs in targets:
        item = _lookup(backend, name, attrs)
        if item is not None:
            add(name, item)
    return found


def _record_changes(
    state: SandboxState, account: str, region: str, before: Snapshot, after: Snapshot
) -> None:
    micros = CHANGELOG.stamp(state.clock.micros())
    for slot in before.keys() | after.keys():
        old = before.get(slot)
        new = after.get(slot)
        old_image = old[1] if old else None
        new_image = new[1] if new else None
        # A write that changes nothing is not recorded: DynamoDB Streams writes no record for
        # it either (developer guide, "Change data capture for DynamoDB Streams").
        if old_image == new_image:
            continue
        key = (new or old)[0]  # type: ignore[index]
        ref: TableRef = (account, region, slot[0])
        CHANGELOG.record(ref, Write(micros, key, old_image, new_image))


def _recording(state: SandboxState, action: str, original: Callable[[Any], Any]) -> Any:
    def handler(self: Any) -> Any:
        backend = self.dynamodb_backend
        with WRITE_LOCK:
            targets = _write_targets(action, self.body, backend)
            before = _snapshot(backend, targets)
            result = original(self)  # raises on a failed call: nothing is recorded
            after = _snapshot(backend, targets)
            _record_changes(state, self.current_account, self.region, before, after)
        return result

    handler.__name__ = original.__name__
    handler.__doc__ = original.__doc__
    return handler


# -- table lifecycle and PITR ----------------------------------------------------------------
def _patched_delete_table(original: Callable[[Any], Any]) -> Any:
    def delete_table(self: Any) -> Any:
        with WRITE_LOCK:
            result = original(self)
            CHANGELOG.drop((self.current_account, self.region, self.body["TableName"]))
        return result

    return delete_table


def _patched_update_pitr(state: SandboxState, original: Callable[[Any], Any]) -> Any:
    def update_continuous_backups(self: Any) -> Any:
        table = self.dynamodb_backend.tables.get(self.body.get("TableName"))
        was_enabled = table is not None and pitr_since(table) is not None
        result = original(self)
        table = self.dynamodb_backend.tables.get(self.body.get("TableName"))
        if table is None:
            return result
        description = table.continuous_backups["PointInTimeRecoveryDescription"]
        if description.get("PointInTimeRecoveryStatus") == "ENABLED":
            if not was_enabled:
                # PITR's window starts when it is enabled, in sandbox time (moto uses the
                # wall clock, which tests cannot move).
                now = state.clock.time()
                setattr(table, _PITR_SINCE, now)
                description["EarliestRestorableDateTime"] = now
                description["LatestRestorableDateTime"] = now
        elif hasattr(table, _PITR_SINCE):
            delattr(table, _PITR_SINCE)
        return result

    return update_continuous_backups


def _patched_describe_pitr(state: SandboxState, original: Callable[[Any], Any]) -> Any:
    def describe_continuous_backups(self: Any) -> Any:
        table = self.dynamodb_backend.tables.get(self.body.get("TableName"))
        if table is not None and pitr_since(table) is not None:
            description = table.continuous_backups["PointInTimeRecoveryDescription"]
            description["LatestRestorableDateTime"] = state.clock.time()
        return original(self)

    return describe_continuous_backups


def _patched_describe(original: Callable[..., dict[str, Any]]) -> Any:
    def describe(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        result = original(self, *args, **kwargs)
        for description in result.values():
            if isinstance(description, dict) and "TableArn" in description:
                description["TableId"] = table_id(self)
        return result

    return describe


WRITE_ACTIONS = (
    "put_item",
    "update_item",
    "delete_item",
    "batch_write_item",
    "transact_write_items",
    "execute_statement",
    "execute_transaction",
    "batch_execute_statement",
)


def install(state: SandboxState) -> None:
    """Patch moto's DynamoDB handler (inside the sandbox server process)."""
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler, "_aws2bq_writes_patched", False):
        return
    for action in WRITE_ACTIONS:
        setattr(DynamoHandler, action, _recording(state, action, getattr(DynamoHandler, action)))
    # setattr: moto ships type hints, and mypy rightly refuses assignments to methods.
    patched = {
        "delete_table": _patched_delete_table(DynamoHandler.delete_table),
        "update_continuous_backups": _patched_update_pitr(
            state, DynamoHandler.update_continuous_backups
        ),
        "describe_continuous_backups": _patched_describe_pitr(
            state, DynamoHandler.describe_continuous_backups
        ),
    }
    for name, handler in patched.items():
        setattr(DynamoHandler, name, handler)
    setattr(Table, "describe", _patched_describe(Table.describe))  # noqa: B010
    setattr(DynamoHandler, "_aws2bq_writes_patched", True)  # noqa: B010
