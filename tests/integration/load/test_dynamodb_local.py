"""``aws2bq load dynamodb`` from local exports in AWS's layout into DuckDB."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bench.export_writer import item_line, write_export

from .conftest import rows, snapshot

BIG = "12345678901234567890123456789012345678"  # 38 digits


def _export(tmp: Path, items: list[dict[str, Any]], *, files: int = 2, **kw: Any) -> Path:
    chunks = [[item_line(i) for i in items[n::files]] for n in range(files)]
    return write_export(tmp / "src", chunks, **kw).folder


TYPE_TABLE = [
    {
        "pk": {"S": "a"},
        "s": {"S": 'héllo "q"'},
        "i": {"N": "-9223372036854775808"},
        "num": {"N": "12345678901234567890123456789.123456789"},
        "big": {"N": BIG + ".5"},
        "huge": {"N": "9.99E+125"},
        "tiny": {"N": "1E-130"},
        "b": {"B": "AAEC/w=="},
        "t": {"BOOL": True},
        "nul": {"NULL": True},
        "ss": {"SS": ["x", "y"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": ["AA=="]},
        "m": {"M": {"n": {"N": BIG}, "l": {"L": [{"S": "v"}, {"NULL": True}]}}},
        "l": {"L": [{"N": "1"}, {"M": {"k": {"BOOL": False}}}]},
        "mixed": {"S": "text"},
    },
    {
        "pk": {"S": "b"},
        "i": {"N": "9223372036854775807"},
        "num": {"NULL": True},
        "mixed": {"N": "42"},
        "nul": {"NULL": True},
    },
]


def test_every_row_of_the_type_table(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "w.duckdb"
    folder = _export(tmp_path, TYPE_TABLE)
    code, _, err = cli(
        "load",
        "dynamodb",
        str(folder),
        "--table",
        "t",
        "--key",
        "pk",
        "--warehouse",
        f"duckdb:///{db}",
        "--quiet",
    )
    assert code == 0, err
    types = dict(
        rows(
            db,
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 't'",
        )
    )
    assert types["i"] == "BIGINT" and types["num"] == "DECIMAL(38,9)"
    assert types["big"] == "VARCHAR" and types["huge"] == "VARCHAR" and types["b"] == "BLOB"
    assert types["ss"] == "VARCHAR[]" and types["ns"] == "DECIMAL(38,9)[]"
    assert types["bs"] == "BLOB[]" and types["m"] == "JSON" and types["mixed"] == "JSON"
    assert types["t"] == "BOOLEAN" and types["_aws2bq_exported_at"].startswith("TIMESTAMP")
    (a,) = rows(
        db,
        "SELECT i, num, big, huge, tiny, b, ss, ns, bs, m, l, mixed, nul, s FROM t WHERE pk = 'a'",
    )
    assert a[0] == -(2**63)
    assert a[1] == Decimal("12345678901234567890123456789.123456789")
    assert (a[2], a[3], a[4]) == (BIG + ".5", "9.99E+125", "1E-130")
    assert a[5] == base64.b64decode("AAEC/w==")
    assert a[6] == ["x", "y"] and a[7] == [Decimal("1"), Decimal("2.5")] and a[8] == [b"\0"]
    assert a[9] == '{"n":' + BIG + ',"l":["v",null]}'
    assert json.loads(a[10]) == [1, {"k": False}]
    assert a[11] == '"text"' and a[12] is None and a[13] == 'héllo "q"'
    (b,) = rows(db, "SELECT i, num, mixed, s, m FROM t WHERE pk = 'b'")
    assert b == (2**63 - 1, None, "42", None, None)
    # the ledger recorded the export with the logical schema
    ((export_id, rows_after, schema_json),) = rows(
        db, "SELECT export_id, rows_after, schema_json FROM _aws2bq_ledger"
    )
    assert rows_after == 2 and export_id == "01700000000000-abcdef01"
    logical = {c["name"]: c["type"] for c in json.loads(schema_json)["columns"]}
    assert logical["big"] == "BIGNUMERIC" and logical["huge"] == "DECIMAL_TEXT"


def test_hostile_attribute_names(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    names = [
        "first name",
        "first-name",
        "1st",
        "Id",
        "id",
        "ID",
        "café",
        "価格",
        'x"; DROP TABLE t; --',
        "select",
        "_TABLE_SUFFIX",
        "a.b",
        "x" * 320,
    ]
    items = [{n: {"S": f"v{k}"} for k, n in enumerate(names)} | {"pk": {"S": "1"}}]
    db = tmp_path / "w.duckdb"
    code, _, err = cli(
        "load",
        "dynamodb",
        str(_export(tmp_path, items, files=1)),
        "--table",
        "weird table-1",
        "--warehouse",
        f"duckdb:///{db}",
        "--quiet",
    )
    assert code == 0, err
    cols = rows(
        db, "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'weird table-1'"
    )
    lowered = [c.lower() for c, _ in cols]
    assert len(lowered) == len(set(lowered)) == len(names) + 1 + 2
    assert all(len(c) <= 300 for c, _ in cols)
    comments = {c: comment for c, comment in cols}
    by_original = {comment.split(": ", 1)[1]: c for c, comment in comments.items()}
    for k, n in enumerate(names):
        col = by_original[n].replace('"', '""')
        assert rows(db, f'SELECT "{col}" FROM "weird table-1"') == [(f"v{k}",)]
    # DuckDB takes any name: only aws2bq's own prefix and the 300-character cut change one.
    assert by_original["価格"] == "価格" and by_original["a.b"] == "a.b"
    assert by_original['x"; DROP TABLE t; --'] == 'x"; DROP TABLE t; --'
    assert rows(db, "SELECT count(*) FROM information_schema.tables") == [(2,)]


def test_empty_export_and_empty_files(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "w.duckdb"
    empty_gzip = gzip.compress(b"")
    folder = write_export(tmp_path / "src", [b"", empty_gzip]).folder
    code, _, err = cli(
        "load", "dynamodb", str(folder), "--table", "e", "--warehouse", f"duckdb:///{db}", "--quiet"
    )
    assert code == 0, err
    assert rows(db, "SELECT count(*) FROM e") == [(0,)]
    assert rows(db, "SELECT rows_after, files FROM _aws2bq_ledger") == [(0, 2)]


def test_one_item_with_empty_files_around(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "w.duckdb"
    folder = write_export(tmp_path / "src", [[], [item_line({"k": {"N": "7"}})], b""]).folder
    code, _, err = cli(
        "load",
        "dynamodb",
        str(folder / "manifest-summary.json"),
        "--table",
        "one",
        "--warehouse",
        f"duckdb:///{db}",
        "--quiet",
    )
    assert code == 0, err
    assert rows(db, "SELECT k, _aws2bq_export_id FROM one") == [(7, "01700000000000-abcdef01")]


def _corrupt(kind: str, folder: Path) -> None:
    data = sorted((folder / "data").glob("*.json.gz"))
    if kind == "md5":
        raw = bytearray(data[0].read_bytes())
        raw[-5] ^= 0xFF
        data[0].write_bytes(bytes(raw))
    elif kind == "missing":
        data[1].unlink()
    elif kind == "count":
        manifest = folder / "manifest-files.json"
        lines = [json.loads(x) for x in manifest.read_text().splitlines()]
        lines[0]["itemCount"] += 1
        lines[1]["itemCount"] -= 1  # the total still matches the summary
        manifest.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    elif kind == "summary":
        summary = json.loads((folder / "manifest-summary.json").read_text())
        summary["itemCount"] += 1
        (folder / "manifest-summary.json").write_text(json.dumps(summary))


@pytest.mark.parametrize("kind", ["md5", "missing", "count", "summary", "truncated"])
def test_corrupt_exports_leave_the_warehouse_untouched(tmp_path: Path, cli, kind: str) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "w.duckdb"
    good = [{"pk": {"S": str(i)}, "v": {"N": str(i)}} for i in range(20)]
    code, _, err = cli(
        "load",
        "dynamodb",
        str(_export(tmp_path / "a", good)),
        "--table",
        "t",
        "--warehouse",
        f"duckdb:///{db}",
        "--quiet",
    )
    assert code == 0, err
    before = snapshot(db)
    assert before["t"] and before["_aws2bq_ledger"]
    later = datetime(2025, 1, 1, tzinfo=UTC)
    items = [{"pk": {"S": str(i)}, "w": {"S": "new"}} for i in range(30)]
    if kind == "truncated":
        blob = gzip.compress(b"".join(item_line(i) for i in items))[:-30]
        folder = write_export(
            tmp_path / "b", [blob], counts=[30], export_id="0180-bad", export_time=later
        ).folder
    else:
        folder = _export(tmp_path / "b", items, export_id="0180-bad", export_time=later)
        _corrupt(kind, folder)
    code, _, err = cli(
        "load", "dynamodb", str(folder), "--table", "t", "--warehouse", f"duckdb:///{db}", "--quiet"
    )
    assert code == 1
    assert "0180-bad" in err
    if kind in ("md5", "missing", "count", "truncated"):
        assert ".json.gz" in err  # names the file
    assert {
        "md5": "MD5",
        "missing": "missing",
        "count": "manifest says",
        "summary": "says",
        "truncated": "cannot be read",
    }[kind] in err
    assert snapshot(db) == before


def test_double_load_is_a_no_op_and_older_exports_are_refused(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "w.duckdb"
    wh = f"duckdb:///{db}"
    new = _export(
        tmp_path / "n",
        [{"pk": {"S": "1"}, "v": {"N": "1"}}],
        export_id="0200-new",
        export_time=datetime(2025, 6, 1, tzinfo=UTC),
    )
    assert cli("load", "dynamodb", str(new), "--table", "t", "--warehouse", wh, "--quiet")[0] == 0
    before = snapshot(db)
    code, out, _ = cli("load", "dynamodb", str(new), "--table", "t", "--warehouse", wh, "--quiet")
    assert code == 0 and '"already_applied"' in out
    assert snapshot(db) == before
    old = _export(
        tmp_path / "o",
        [{"pk": {"S": "0"}, "v": {"N": "0.5"}}],
        export_id="0100-old",
        export_time=datetime(2024, 6, 1, tzinfo=UTC),
    )
    code, _, err = cli("load", "dynamodb", str(old), "--table", "t", "--warehouse", wh, "--quiet")
    assert code == 1 and "older" in err and "--force" in err
    assert snapshot(db) == before
    code, _, err = cli(
        "load", "dynamodb", str(old), "--table", "t", "--warehouse", wh, "--quiet", "--force"
    )
    assert code == 0, err
    assert rows(db, "SELECT pk, v FROM t") == [("0", Decimal("0.5"))]


def test_schema_evolves_across_loads(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "w.duckdb"
    wh = f"duckdb:///{db}"
    first = _export(
        tmp_path / "1",
        [{"pk": {"S": "a"}, "v": {"N": "1"}, "s": {"S": "x"}}],
        export_id="0001-a",
        export_time=datetime(2025, 1, 1, tzinfo=UTC),
    )
    second = _export(
        tmp_path / "2",
        [{"pk": {"S": "a"}, "v": {"N": "1.5"}, "s": {"N": "3"}, "new": {"BOOL": True}}],
        export_id="0002-b",
        export_time=datetime(2025, 1, 2, tzinfo=UTC),
    )
    third = _export(
        tmp_path / "3",
        [{"pk": {"S": "a"}, "v": {"N": "2"}}],
        export_id="0003-c",
        export_time=datetime(2025, 1, 3, tzinfo=UTC),
    )
    assert cli("load", "dynamodb", str(first), "--table", "t", "--warehouse", wh, "--quiet")[0] == 0
    code, out, _ = cli(
        "load", "dynamodb", str(second), "--table", "t", "--warehouse", wh, "--quiet"
    )
    assert code == 0
    summary = json.loads(out)["summary"]
    assert summary["columns_added"] == ["new"]
    assert sorted(w[0] for w in summary["columns_widened"]) == ["s", "v"]
    assert cli("load", "dynamodb", str(third), "--table", "t", "--warehouse", wh, "--quiet")[0] == 0
    types = dict(
        rows(
            db,
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 't'",
        )
    )
    assert types["v"] == "DECIMAL(38,9)" and types["s"] == "JSON" and types["new"] == "BOOLEAN"
    assert rows(db, "SELECT v, s, new FROM t") == [(Decimal("2"), None, None)]
    assert rows(db, "SELECT count(*) FROM _aws2bq_ledger") == [(3,)]


def test_bad_usage_exits_2(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    folder = _export(tmp_path, [{"pk": {"S": "a"}}])
    assert (
        cli("load", "dynamodb", str(folder), "--table", "t", "--warehouse", "duckdbx:///x.duckdb")[
            0
        ]
        == 2
    )
    assert (
        cli(
            "load",
            "dynamodb",
            str(tmp_path / "nope"),
            "--table",
            "t",
            "--warehouse",
            f"duckdb:///{tmp_path / 'w.duckdb'}",
        )[0]
        == 2
    )
    code, _, err = cli(
        "load",
        "dynamodb",
        str(folder),
        "--table",
        "t",
        "--key",
        "missing",
        "--warehouse",
        f"duckdb:///{tmp_path / 'w.duckdb'}",
        "--quiet",
    )
    assert code == 2 and "missing" in err


@pytest.mark.slow
def test_200k_items(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from bench.dynamodb_load import generate

    folder = generate(tmp_path / "src", 200_000, 4)
    db = tmp_path / "w.duckdb"
    code, _, err = cli(
        "load",
        "dynamodb",
        str(folder),
        "--table",
        "users",
        "--key",
        "pk",
        "--key",
        "sk",
        "--warehouse",
        f"duckdb:///{db}",
        "--quiet",
    )
    assert code == 0, err
    assert rows(db, "SELECT count(*), count(DISTINCT pk), count(note) FROM users") == [
        (200_000, 200_000, 10_000)
    ]
    (addr,) = rows(db, "SELECT address FROM users WHERE pk = 'user#0'")[0]
    assert set(json.loads(addr)) == {"street", "zip", "geo"}
