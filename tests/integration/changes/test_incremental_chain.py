"""Incremental DynamoDB exports applied in a chain (full → incremental → incremental) into
DuckDB, driven by the sandbox; the result is compared with the table's actual state (merge)
and with the full sequence of versions (history)."""

from __future__ import annotations

import gzip
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from aws2bq.sandbox import Sandbox
from tests.integration.load.conftest import run_cli as _cli
from tests.integration.sandbox.test_dynamodb_exports import read_export

SYSTEM = {"_aws2bq_export_id", "_aws2bq_exported_at"}
HISTORY = {"_valid_from", "_valid_to", "_is_current", "_is_deleted"}


def _plain(value: dict[str, Any]) -> Any:
    """A DynamoDB attribute value as a comparable Python value (numbers as Decimal)."""
    ((descriptor, v),) = value.items()
    if descriptor == "N":
        return Decimal(v).normalize()
    if descriptor == "NULL":
        return None
    return v


def _norm(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int | Decimal | float):
        return Decimal(str(v)).normalize()
    return v


@dataclass
class Chain:
    """One DynamoDB table, its exports, and the DuckDB file they are loaded into."""

    sb: Sandbox
    capsys: pytest.CaptureFixture[str]
    table: str
    bucket: str
    db: Path
    prefix: str = "inc"
    last: datetime | None = None
    client: Any = None
    #: Per export loaded: its records (incremental) by pk.
    records: list[dict[str, dict[str, Any]]] = field(default_factory=list)

    def put(self, pk: str, **attrs: dict[str, str]) -> None:
        self.client.put_item(TableName=self.table, Item={"pk": {"S": pk}, **attrs})

    def delete(self, pk: str) -> None:
        self.client.delete_item(TableName=self.table, Key={"pk": {"S": pk}})

    def load(self, location: str, mode: str, *extra: str) -> tuple[int, str, str]:
        return _cli(
            [
                "load",
                "dynamodb",
                location,
                "--table",
                "t",
                "--key",
                "pk",
                "--mode",
                mode,
                "--warehouse",
                f"duckdb:///{self.db}",
                "--quiet",
                *extra,
            ],
            self.capsys,
        )

    def full(self) -> dict[str, Any]:
        done = self.sb.dynamodb.export_full(self.table, self.bucket, prefix=self.prefix)
        assert done["ExportStatus"] == "COMPLETED"
        self.last = done["ExportTime"]
        return done

    def incremental(
        self, view: str = "NEW_AND_OLD_IMAGES", start: datetime | None = None
    ) -> dict[str, Any]:
        self.sb.advance_clock(minutes=16)
        to = self.sb.now()
        done = self.sb.dynamodb.export_incremental(
            self.table,
            self.bucket,
            prefix=self.prefix,
            from_time=start or self.last,
            to_time=to,
            view_type=view,
        )
        assert done["ExportStatus"] == "COMPLETED", done
        self.last = done["IncrementalExportSpecification"]["ExportToTime"]
        return done

    def location(self, done: dict[str, Any]) -> str:
        return f"s3://{self.bucket}/{done['ExportManifest']}"

    def lines(self, done: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {r["Keys"]["pk"]["S"]: r for r in read_export(self.sb, self.bucket, done).lines}

    def scan(self) -> set[tuple[tuple[str, Any], ...]]:
        items = self.client.scan(TableName=self.table, ConsistentRead=True)["Items"]
        return {tuple(sorted((k, _plain(v)) for k, v in item.items())) for item in items}

    def rows(self, sql: str = 'SELECT * FROM "t"') -> list[dict[str, Any]]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        finally:
            con.close()

    def table_state(self) -> set[tuple[tuple[str, Any], ...]]:
        """The merge table as scan-like items (NULL columns = absent attributes)."""
        return {
            tuple(
                sorted((k, _norm(v)) for k, v in row.items() if k not in SYSTEM and v is not None)
            )
            for row in self.rows()
        }

    def column_types(self) -> dict[str, str]:
        rows = self.rows(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 't' ORDER BY ordinal_position"
        )
        return {str(r["column_name"]): str(r["data_type"]) for r in rows}

    def ledger(self) -> list[dict[str, Any]]:
        return self.rows(
            "SELECT export_id, export_kind, exported_at, export_from, export_to, mode "
            'FROM "_aws2bq_ledger" ORDER BY exported_at'
        )


@pytest.fixture
def chain(
    sandbox: Sandbox,
    unique: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Chain:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    bucket = f"inc-{unique}"
    sandbox.client("s3").create_bucket(Bucket=bucket)
    table = f"inc-{unique}"
    sandbox.dynamodb.create_table(table)
    return Chain(
        sandbox, capsys, table, bucket, tmp_path / "w.duckdb", client=sandbox.client("dynamodb")
    )


def _first_writes(c: Chain) -> None:
    for i in range(6):
        c.put(f"k{i}", v={"N": str(i)}, s={"S": f"s{i}"})


def _second_writes(c: Chain) -> None:
    c.put("k0", v={"N": "100"}, s={"S": "updated"})  # update
    c.delete("k1")  # delete
    c.put("new", v={"N": "7"}, s={"S": "inserted"})  # insert
    c.put("transient", v={"N": "1"})  # insert + delete in one window: no record
    c.delete("transient")
    c.put("k2", v={"N": "20"})  # several writes: the last one wins
    c.sb.advance_clock(seconds=1)
    c.put("k2", v={"N": "21"}, s={"S": "twice"})
    c.put("k3", v={"N": "3"}, s={"S": "s3"}, extra={"BOOL": True})  # a new attribute


def _third_writes(c: Chain) -> None:
    c.put("k1", v={"N": "1.5"}, s={"S": "back"})  # re-insert after delete; v widens
    c.delete("new")
    c.put("k4", v={"N": "44"})  # s removed from the item
    c.delete("k5")


@pytest.mark.parametrize("view", ["NEW_AND_OLD_IMAGES", "NEW_IMAGE"])
def test_merge_follows_the_table_through_a_chain(chain: Chain, view: str) -> None:
    c = chain
    _first_writes(c)
    full = c.full()
    code, _, err = c.load(c.location(full), "merge")
    assert code == 0, err
    assert c.table_state() == c.scan()

    c.sb.advance_clock(seconds=5)
    _second_writes(c)
    first = c.incremental(view)
    if view == "NEW_IMAGE":
        assert set(c.lines(first)["k1"]) == {"Metadata", "Keys"}  # a delete is Keys only
    code, _, err = c.load(c.location(first), "merge")
    assert code == 0, err
    assert c.table_state() == c.scan()
    assert "extra" in {k for r in c.rows() for k in r}  # a new attribute adds a column

    c.sb.advance_clock(seconds=5)
    _third_writes(c)
    second = c.incremental(view)
    code, _, err = c.load(c.location(second), "merge")
    assert code == 0, err
    assert c.table_state() == c.scan()
    types = c.column_types()
    assert types["v"].startswith("DECIMAL")  # widened from BIGINT by 1.5

    ledger = c.ledger()
    assert [r["export_kind"] for r in ledger] == ["full", "incremental", "incremental"]
    inc1, inc2 = ledger[1], ledger[2]
    assert inc1["export_to"] == inc1["exported_at"] == inc2["export_from"]
    assert ledger[0]["export_from"] is None  # full exports have no window


@pytest.mark.parametrize("view", ["NEW_AND_OLD_IMAGES", "NEW_IMAGE"])
def test_history_keeps_every_version_with_write_times(chain: Chain, view: str) -> None:
    c = chain
    _first_writes(c)
    full = c.full()
    code, _, err = c.load(c.location(full), "history")
    assert code == 0, err
    c.sb.advance_clock(seconds=5)
    _second_writes(c)
    first = c.incremental(view)
    assert c.load(c.location(first), "history")[0] == 0
    c.sb.advance_clock(seconds=5)
    _third_writes(c)
    second = c.incremental(view)
    assert c.load(c.location(second), "history")[0] == 0

    def micros(records: dict[str, dict[str, Any]], pk: str) -> datetime:
        m = int(records[pk]["Metadata"]["WriteTimestampMicros"]["N"])
        return datetime.fromtimestamp(m // 1_000_000, UTC).replace(microsecond=m % 1_000_000)

    one, two = c.lines(first), c.lines(second)
    t_full = full["ExportTime"]
    # (pk, valid_from, v, is_deleted) for every version, in order.
    expected = {
        "k0": [(t_full, 0, False), (micros(one, "k0"), 100, False)],
        "k1": [
            (t_full, 1, False),
            (micros(one, "k1"), None, True),
            (micros(two, "k1"), Decimal("1.5"), False),
        ],
        "k2": [(t_full, 2, False), (micros(one, "k2"), 21, False)],
        "k3": [(t_full, 3, False), (micros(one, "k3"), 3, False)],
        "k4": [(t_full, 4, False), (micros(two, "k4"), 44, False)],
        "k5": [(t_full, 5, False), (micros(two, "k5"), None, True)],
        "new": [(micros(one, "new"), 7, False), (micros(two, "new"), None, True)],
    }
    rows = c.rows('SELECT * FROM "t" ORDER BY "pk", "_valid_from"')
    got: dict[str, list[tuple[datetime, Any, bool]]] = {}
    for r in rows:
        value = None if r["_is_deleted"] else _norm(r["v"])
        got.setdefault(r["pk"], []).append((r["_valid_from"], value, r["_is_deleted"]))
    norm = {
        pk: [(t.astimezone(UTC), _norm(v), d) for t, v, d in versions]
        for pk, versions in expected.items()
    }
    assert {pk: [(t.astimezone(UTC), v, d) for t, v, d in vs] for pk, vs in got.items()} == norm
    # Each version ends where the next begins; only the last is current.
    for versions in ([r for r in rows if r["pk"] == pk] for pk in expected):
        for before, after in itertools.pairwise(versions):
            assert before["_valid_to"] == after["_valid_from"] and not before["_is_current"]
        assert versions[-1]["_is_current"] and versions[-1]["_valid_to"] is None
    # The current, not deleted rows are the table's actual state.
    live = {
        tuple(
            sorted(
                (k, _norm(v)) for k, v in r.items() if k not in SYSTEM | HISTORY and v is not None
            )
        )
        for r in rows
        if r["_is_current"] and not r["_is_deleted"]
    }
    assert live == c.scan()


def test_a_gap_an_empty_stream_and_a_replace_are_refused(chain: Chain) -> None:
    c = chain
    _first_writes(c)
    full = c.full()
    c.sb.advance_clock(seconds=5)
    c.put("k0", v={"N": "9"})
    first = c.incremental()
    c.put("k1", v={"N": "9"})
    second = c.incremental()

    code, _, err = c.load(c.location(first), "merge")
    assert code == 1 and "no export has been applied" in err and "full export" in err
    assert (
        not c.db.exists()
        or c.rows("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 't'")[0][
            "n"
        ]
        == 0
    )
    assert c.load(c.location(full), "replace")[0] == 0
    code, _, err = c.load(c.location(first), "replace")
    assert code != 0 and "--mode merge" in err
    before = c.rows()
    code, _, err = c.load(c.location(second), "merge")  # skips `first`: a gap
    assert code == 1 and "gap" in err, err
    to_first = first["IncrementalExportSpecification"]["ExportToTime"]
    assert to_first.strftime("%Y-%m-%dT%H:%M:%S") in err
    assert "start a new full export" in err
    assert c.rows() == before
    # In order it applies; the same export again is a no-op; the older one is out of order.
    assert c.load(c.location(first), "merge")[0] == 0
    assert c.load(c.location(second), "merge")[0] == 0
    state, ledger = c.rows(), c.ledger()
    code, out, _ = c.load(c.location(second), "merge")
    assert code == 0 and "already_applied" in out
    assert c.rows() == state and c.ledger() == ledger
    stale = c.sb.dynamodb.export_incremental(
        c.table,
        c.bucket,
        prefix=c.prefix,
        from_time=full["ExportTime"],
        to_time=first["IncrementalExportSpecification"]["ExportToTime"],
    )
    code, _, err = c.load(c.location(stale), "merge")
    assert code == 1 and "out of order" in err
    assert c.rows() == state
    assert c.table_state() == c.scan()


def test_files_of_other_exports_in_the_shared_folder_are_never_read(chain: Chain) -> None:
    c = chain
    _first_writes(c)
    full = c.full()
    assert c.load(c.location(full), "replace")[0] == 0
    c.sb.advance_clock(seconds=5)
    c.put("k0", v={"N": "9"})
    done = c.incremental()
    # A decoy in the shared data/ folder: unreadable (not gzip) and with a bogus record.
    s3 = c.sb.client("s3")
    s3.put_object(
        Bucket=c.bucket, Key=f"{c.prefix}/AWSDynamoDB/data/decoy.json.gz", Body=b"not gzip"
    )
    bogus = {
        "Metadata": {"WriteTimestampMicros": {"N": "9" * 16}},
        "Keys": {"pk": {"S": "x"}},
        "NewImage": {"pk": {"S": "x"}},
    }
    s3.put_object(
        Bucket=c.bucket,
        Key=f"{c.prefix}/AWSDynamoDB/data/decoy2.json.gz",
        Body=gzip.compress(json.dumps(bogus).encode()),
    )
    code, _, err = c.load(c.location(done), "merge")
    assert code == 0, err
    assert "x" not in {r["pk"] for r in c.rows()}
    assert c.table_state() == c.scan()


def test_a_ledger_from_an_earlier_version_is_upgraded_in_place(chain: Chain) -> None:
    c = chain
    _first_writes(c)
    full = c.full()
    assert c.load(c.location(full), "merge")[0] == 0
    con = duckdb.connect(str(c.db))
    try:  # the ledger as versions before issue 5 created it
        con.execute('ALTER TABLE "_aws2bq_ledger" DROP COLUMN "export_from"')
        con.execute('ALTER TABLE "_aws2bq_ledger" DROP COLUMN "export_to"')
    finally:
        con.close()
    c.sb.advance_clock(seconds=5)
    c.put("k0", v={"N": "9"})
    done = c.incremental()
    code, _, err = c.load(c.location(done), "merge")
    assert code == 0, err
    ledger = c.ledger()
    assert [(r["export_kind"], r["export_from"] is None) for r in ledger] == [
        ("full", True),
        ("incremental", False),
    ]
    assert c.table_state() == c.scan()
