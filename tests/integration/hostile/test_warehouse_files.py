"""11.7: opening a warehouse file never reaches for the network; a file that is not a DuckDB
database is refused with one line (exit 2) and left as it was."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from aws2bq.warehouses import connect
from aws2bq.warehouses.duckdb.client import DuckDBWarehouse
from aws2bq.warehouses.duckdb.files import connect_offline

from .conftest import Cli, error_line, local_export


def _sqlite(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (a INTEGER)")
    con.execute("INSERT INTO t VALUES (1)")
    con.commit()
    con.close()
    return path


def _parquet(path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": [1]}), path)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"


@pytest.mark.parametrize(
    ("kind", "make", "says"),
    [
        ("sqlite", _sqlite, "is a SQLite database, not a DuckDB database"),
        ("parquet", _parquet, "is a Parquet file, not a DuckDB database"),
        ("text", lambda p: (p.write_text("hello\n"), p)[1], "is not a DuckDB database"),
        ("directory", lambda p: (p.mkdir(), p)[1], "is a directory"),
    ],
)
def test_a_file_that_is_not_duckdb_is_refused_with_one_line(
    tmp_path: Path, cli: Cli, kind: str, make: object, says: str
) -> None:
    folder = local_export(tmp_path / "src", [{"pk": {"S": "a"}}], files=1)
    target = make(tmp_path / f"w.{kind}")  # type: ignore[operator]
    before = _digest(target)
    code, out, err = cli(
        "load", "dynamodb", str(folder), "--table", "t", "--warehouse", f"duckdb:///{target}"
    )
    line = error_line(err)
    assert code == 2, err
    assert says in line and str(target) in line
    assert "extension" not in err and "http" not in err  # DuckDB never got to try a download
    assert out == ""
    assert _digest(target) == before


def test_rds_and_run_refuse_it_too(tmp_path: Path, cli: Cli) -> None:
    target = _sqlite(tmp_path / "w.db")
    rds = tmp_path / "rds"
    rds.mkdir()
    code, _, err = cli("load", "rds", str(rds), "--warehouse", f"duckdb:///{target}")
    assert code in (1, 2) and "Traceback" not in err
    config = tmp_path / "aws2bq.toml"
    config.write_text(f'warehouse = "duckdb:///{target}"\n')
    code, _, err = cli("status", "-c", str(config))
    assert code == 2 and "is a SQLite database" in error_line(err)


def test_every_connection_aws2bq_opens_has_autoinstall_and_autoload_off(tmp_path: Path) -> None:
    wh = connect(f"duckdb:///{tmp_path / 'w.duckdb'}")
    assert isinstance(wh, DuckDBWarehouse)
    try:
        settings = dict(
            wh.con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('autoinstall_known_extensions', 'autoload_known_extensions')"
            ).fetchall()
        )
    finally:
        wh.close()
    assert settings == {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
    }
    con = connect_offline(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        (count,) = con.execute(
            "SELECT count(*) FROM duckdb_settings() WHERE name LIKE 'auto%_known_extensions' "
            "AND value = 'false'"
        ).fetchone()
    finally:
        con.close()
    assert count == 2


def test_a_function_of_a_missing_extension_fails_instead_of_downloading(tmp_path: Path) -> None:
    wh = connect(f"duckdb:///{tmp_path / 'w.duckdb'}")
    assert isinstance(wh, DuckDBWarehouse)
    try:
        with pytest.raises(Exception) as caught:
            # sqlite_scan lives in the sqlite_scanner extension, never installed here.
            wh.con.execute("SELECT * FROM sqlite_scan('x.db', 't')").fetchall()
    finally:
        wh.close()
    assert "download" not in str(caught.value).lower()
