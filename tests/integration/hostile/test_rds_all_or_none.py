"""11.5 / 11.6: an RDS export is verified whole and applied all or none.

- A table whose Parquet footer is corrupt, whose folder is missing, whose files lack a column
  the export's own metadata declares, or holding two rows with one key: the export is refused
  with one line naming the table (and file or column), nothing of it is applied — even when
  export_info says COMPLETE and the other tables are fine.
- ``--per-table`` applies the good tables alone (and says the others failed).
- A column dropped at the source (absent from the mappings too) loads as before.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from .conftest import Cli, error_line, rows, snapshot
from .rds_exports import write_rds_export

T1 = datetime(2025, 1, 1, tzinfo=UTC)
T2 = datetime(2025, 1, 2, tzinfo=UTC)
KEYS = ["--key", "shop.orders=id", "--key", "shop.items=id"]


def _tables(version: int) -> dict[str, pa.Table]:
    return {
        "shop.orders": pa.table(
            {"id": pa.array([1, 2, 3], pa.int64()), "name": [f"o{version}-{i}" for i in range(3)]}
        ),
        "shop.items": pa.table(
            {"id": pa.array([10, 20], pa.int64()), "sku": [f"s{version}", f"t{version}"]}
        ),
    }


def _load(cli: Cli, folder: Path, db: Path, mode: str, *extra: str) -> tuple[int, str, str]:
    keys = KEYS if mode != "replace" else []
    return cli("load", "rds", str(folder), "--warehouse", f"duckdb:///{db}", "--mode", mode,
               *keys, "--quiet", *extra)  # fmt: skip


def _first(tmp_path: Path, cli: Cli, mode: str) -> tuple[Path, dict[str, object]]:
    db = tmp_path / "w.duckdb"
    first = write_rds_export(tmp_path / "r1", _tables(1), task="export-1", snapshot_time=T1)
    code, _, err = _load(cli, first, db, mode)
    assert code == 0, err
    return db, snapshot(db)


def _second(tmp_path: Path, **kw: object) -> Path:
    return write_rds_export(tmp_path / "r2", _tables(2), task="export-2", snapshot_time=T2, **kw)  # type: ignore[arg-type]


def _corrupt_footer(folder: Path) -> str:
    (part,) = folder.glob("shop/shop.items/1/*.parquet")
    data = part.read_bytes()
    part.write_bytes(data[:-12] + b"\0" * 12)  # the footer length and magic are gone
    return part.name


def _remove_folder(folder: Path) -> str:
    shutil.rmtree(folder / "shop" / "shop.items")
    return "shop.items"


@pytest.mark.parametrize("mode", ["replace", "merge", "history"])
@pytest.mark.parametrize("damage", ["corrupt footer", "missing folder"])
def test_one_bad_table_refuses_the_whole_export(
    tmp_path: Path, cli: Cli, mode: str, damage: str
) -> None:
    db, before = _first(tmp_path, cli, mode)
    second = _second(tmp_path)
    named = (_corrupt_footer if damage == "corrupt footer" else _remove_folder)(second)
    code, out, err = _load(cli, second, db, mode)
    line = error_line(err)
    assert code == 1, err
    assert "shop.items" in line and named in line, line
    assert snapshot(db) == before  # shop.orders was not applied either
    assert out == ""


def test_per_table_applies_the_good_table_alone(tmp_path: Path, cli: Cli) -> None:
    db, _ = _first(tmp_path, cli, "replace")
    second = _second(tmp_path)
    _corrupt_footer(second)
    code, _, err = _load(cli, second, db, "replace", "--per-table")
    assert code == 1 and "shop.items" in err and "Traceback" not in err
    assert sorted(rows(db, "SELECT name FROM shop__orders")) == [("o2-0",), ("o2-1",), ("o2-2",)]
    assert sorted(rows(db, "SELECT sku FROM shop__items")) == [("s1",), ("t1",)]
    ledger = rows(db, "SELECT stream, export_id FROM _aws2bq_ledger ORDER BY 1, 2")
    assert ("rds:shop.orders", "export-2") in ledger and (
        "rds:shop.items",
        "export-2",
    ) not in ledger
    # The default run afterwards applies what is left, all or none: here, the bad table again.
    code, _, err = _load(cli, second, db, "replace")
    assert code == 1 and "shop.items" in error_line(err)


def test_a_table_that_cannot_be_keyed_applies_nothing_of_the_export(
    tmp_path: Path, cli: Cli
) -> None:
    # A value a type cannot hold no longer refuses a table (the column widens, issue 10.4):
    # the problem found while preparing the apply here is a key held by two rows.
    db, before = _first(tmp_path, cli, "merge")
    tables = _tables(2)
    tables["shop.items"] = pa.table({"id": pa.array([10, 10], pa.int64()), "sku": ["s2", "t2"]})
    second = write_rds_export(tmp_path / "r2", tables, task="export-2", snapshot_time=T2)
    code, _, err = _load(cli, second, db, "merge")
    line = error_line(err)
    assert code == 1 and "shop.items" in line and "10" in line, line
    assert snapshot(db) == before


@pytest.mark.parametrize("mode", ["replace", "merge", "history"])
def test_a_declared_column_missing_from_the_files_is_refused(
    tmp_path: Path, cli: Cli, mode: str
) -> None:
    db, before = _first(tmp_path, cli, mode)
    tables = _tables(2)
    tables["shop.orders"] = tables["shop.orders"].drop_columns(["name"])
    second = write_rds_export(
        tmp_path / "r2",
        tables,
        task="export-2",
        snapshot_time=T2,
        declared={"shop.orders": [("id", "int64"), ("name", "string")]},
    )
    code, _, err = _load(cli, second, db, mode)
    line = error_line(err)
    assert code == 1, err
    assert "shop.orders" in line and "declares column(s) name" in line and ".parquet" in line
    assert snapshot(db) == before


def test_a_column_dropped_at_the_source_keeps_its_history(tmp_path: Path, cli: Cli) -> None:
    db, _ = _first(tmp_path, cli, "history")
    tables = _tables(2)
    tables["shop.orders"] = tables["shop.orders"].drop_columns(["name"])
    second = write_rds_export(tmp_path / "r2", tables, task="export-2", snapshot_time=T2)
    code, _, err = _load(cli, second, db, "history")
    assert code == 0, err
    old = rows(db, "SELECT id, name FROM shop__orders WHERE NOT _is_current ORDER BY id")
    assert old == [(1, "o1-0"), (2, "o1-1"), (3, "o1-2")]
    assert rows(db, "SELECT count(*) FROM shop__orders WHERE _is_current AND name IS NULL") == [
        (3,)
    ]
