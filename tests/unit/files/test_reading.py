"""Reading and verifying one object: gzip by magic bytes, parse errors named with the line."""

from __future__ import annotations

import gzip
import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aws2bq.errors import ExportError
from aws2bq.sources.blobs import LocalStore
from aws2bq.sources.files import arrow_types as at
from aws2bq.sources.files.listing import FileObject, list_objects, open_location, skipped
from aws2bq.sources.files.options import Format
from aws2bq.sources.files.reading import decompress, parse, read_object


def _obj(name: str = "x", data: bytes = b"") -> FileObject:
    return FileObject(
        name,
        hashlib.md5(data, usedforsecurity=False).hexdigest(),
        len(data),
        datetime(2024, 1, 1, tzinfo=UTC),
        f"s3://b/{name}",
    )


def test_gzip_is_detected_by_magic_bytes_not_suffix() -> None:
    raw = b'{"a": 1}\n'
    assert decompress(gzip.compress(raw), _obj("plain.jsonl")) == raw
    assert decompress(raw, _obj("named.gz")) == raw


def test_truncated_gzip_is_refused_naming_the_object() -> None:
    data = gzip.compress(b'{"a": 1}\n' * 1000)[:-20]
    with pytest.raises(ExportError, match=r"s3://b/logs/1.jsonl.gz is a truncated or corrupt"):
        decompress(data, _obj("logs/1.jsonl.gz"))


def test_undecodable_json_line_names_object_and_line() -> None:
    data = b'{"a": 1}\n{"a": 2}\n{"a": \n{"a": 4}\n'
    with pytest.raises(ExportError, match=r"s3://b/x cannot be read as jsonl at line 3"):
        parse(data, Format.JSONL, _obj())


def test_malformed_csv_row_names_object_and_line() -> None:
    data = b"id,name\n1,a\n2,b\n3\n"
    with pytest.raises(ExportError, match=r"cannot be read as csv at line 4"):
        parse(data, Format.CSV, _obj())


def test_corrupt_parquet_is_refused() -> None:
    buf = io.BytesIO()
    pq.write_table(pa.table({"a": [1, 2]}), buf)
    with pytest.raises(ExportError, match=r"s3://b/x cannot be read as parquet"):
        parse(buf.getvalue()[:-30], Format.PARQUET, _obj())


def test_each_format_parses() -> None:
    assert parse(b'{"a": 1, "b": "x"}\n', Format.JSONL, _obj()).num_rows == 1
    assert parse(b"a,b\n1,x\n2,y\n", Format.CSV, _obj()).column_names == ["a", "b"]
    buf = io.BytesIO()
    pq.write_table(pa.table({"a": [1, 2, 3]}), buf)
    assert parse(buf.getvalue(), Format.PARQUET, _obj()).num_rows == 3
    assert parse(b"\n", Format.JSONL, _obj()).num_rows == 0


def test_markers_and_folders_are_skipped() -> None:
    assert skipped("logs/_SUCCESS") and skipped("logs/.part-0.crc") and skipped("logs/")
    assert not skipped("logs/part-0.json.gz")


def test_objects_in_hidden_or_temporary_folders_are_skipped(tmp_path: Path) -> None:
    assert skipped("_temporary/0/part-0.parquet") and skipped("a/.spark-staging/p.parquet")
    (tmp_path / "_temporary" / "0").mkdir(parents=True)
    (tmp_path / "_temporary" / "0" / "part-0.jsonl").write_bytes(b'{"a": 1}\n')
    (tmp_path / "day=1").mkdir()
    (tmp_path / "day=1" / "part-0.jsonl").write_bytes(b'{"a": 1}\n')
    assert [o.key for o in list_objects(open_location(str(tmp_path)))] == ["day=1/part-0.jsonl"]


def test_local_listing_and_a_file_changed_after_listing(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.jsonl").write_bytes(b'{"a": 1}\n')
    (tmp_path / "_SUCCESS").write_bytes(b"")
    location = open_location(str(tmp_path))
    objects = list_objects(location)
    assert [o.key for o in objects] == ["sub/a.jsonl"]
    assert objects[0].etag == hashlib.md5(b'{"a": 1}\n', usedforsecurity=False).hexdigest()
    assert read_object(location.store, objects[0], Format.JSONL).num_rows == 1
    (tmp_path / "sub" / "a.jsonl").write_bytes(b'{"a": 2}\n')
    with pytest.raises(ExportError, match="changed between listing and reading"):
        read_object(location.store, objects[0], Format.JSONL)
    (tmp_path / "sub" / "a.jsonl").unlink()
    assert isinstance(location.store, LocalStore)
    with pytest.raises(ExportError, match="vanished between listing and reading"):
        read_object(location.store, objects[0], Format.JSONL)


def test_json_iso_times_keep_zones_and_fractions_and_column_order() -> None:
    data = (
        b'{"s": "abc", "d": "2024-01-01", "u": "2024-01-01T00:00:00+02:00", '
        b'"t": "2024-01-01T00:00:00.5Z", "w": "2024-01-01 10:00:00", "m": "2024-01-01"}\n'
        b'{"m": "2024-01-01T00:00:00Z", "w": null}\n'
    )
    table = parse(data, Format.JSONL, _obj())
    assert table.column_names == ["s", "d", "u", "t", "w", "m"]
    types = {f.name: f.type for f in table.schema}
    assert types["d"] == pa.date32()
    assert types["u"] == pa.timestamp("us", tz="UTC") == types["t"]
    assert types["w"] == pa.timestamp("us")
    assert types["m"] == pa.string() == types["s"]  # a date and a date-time: kept as text
    assert table.column("u")[0].as_py() == datetime(2023, 12, 31, 22, tzinfo=UTC)


def test_a_column_named_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"id,id\n1,2\n")
    location = open_location(str(tmp_path))
    [obj] = list_objects(location)
    with pytest.raises(ExportError, match=r"names column\(s\) 'id' more than once"):
        read_object(location.store, obj, Format.CSV)


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        (Format.JSONL, b'{"Name": "a", "name": "b"}\n'),
        (Format.CSV, b"Name,name\na,b\n"),
    ],
)
def test_columns_differing_only_in_case_are_refused_not_lost(
    tmp_path: Path, fmt: Format, data: bytes
) -> None:
    (tmp_path / "a.data").write_bytes(data)
    location = open_location(str(tmp_path))
    [obj] = list_objects(location)
    with pytest.raises(ExportError, match=r"differ only in case: 'Name' and 'name'"):
        read_object(location.store, obj, fmt)


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        (Format.JSONL, b'{"n": 18446744073709551615}\n{"n": 1}\n{"n": 12345678901234567890123}\n'),
        (Format.CSV, b"n\n18446744073709551615\n1\n12345678901234567890123\n"),
    ],
)
def test_integers_beyond_int64_are_read_exactly(fmt: Format, data: bytes) -> None:
    column = parse(data, fmt, _obj()).column("n")
    assert pa.types.is_decimal(column.type)
    assert [str(v) for v in column.to_pylist()] == [
        "18446744073709551615", "1", "12345678901234567890123",
    ]  # fmt: skip


def test_long_decimals_are_exact_and_short_doubles_stay_doubles() -> None:
    data = b'{"x": 0.12345678901234567, "y": 1.5}\n{"x": 2, "y": 2}\n'
    table = parse(data, Format.JSONL, _obj())
    assert [str(v) for v in table.column("x").to_pylist()] == [
        "0.12345678901234567", "2.00000000000000000",
    ]  # fmt: skip
    assert table.column("y").type == pa.float64()


@pytest.mark.parametrize(
    ("source", "prefix", "url"),
    [
        ("s3://logs/app", "app/", "s3://logs/app/"),
        ("s3://logs/app/", "app/", "s3://logs/app/"),
        ("s3://logs", "", "s3://logs/"),
    ],
)
def test_an_s3_source_is_a_folder(
    source: str, prefix: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "us-east-1")  # a client is made, never called
    location = open_location(source)
    assert (location.prefix, location.url) == (prefix, url)


def test_csv_keeps_leading_zeros_and_only_empty_fields_are_null() -> None:
    data = b"zip,id,word,n\n02139,1,NA,1.5\n00123,2,null,\n,3,,2\n"
    table = parse(data, Format.CSV, _obj())
    assert table.column("zip").to_pylist() == ["02139", "00123", ""]
    assert table.column("id").type == pa.int64()
    assert table.column("word").to_pylist() == ["NA", "null", ""]
    assert table.column("n").to_pylist() == [1.5, None, 2.0]


@pytest.mark.parametrize(
    ("fmt", "data", "message"),
    [
        (Format.CSV, b'{"id": 4, "v": "x"}\n{"id": 5, "v": "y"}\n', "evidently jsonl"),
        (Format.CSV, b'id,{"a"\n1,2\n', "header names column"),
        (Format.JSONL, b"PAR1\x15\x04", "evidently parquet"),
    ],
)
def test_content_of_another_format_is_refused(fmt: Format, data: bytes, message: str) -> None:
    with pytest.raises(ExportError, match=rf"s3://b/x is not {fmt}.*{message}"):
        parse(data, fmt, _obj())


def test_a_long_number_beside_undecodable_text_is_still_exact() -> None:
    data = b'{"n": 1.5, "s": "\xff"}\n{"n": 12345678901234567890}\n'
    column = parse(data, Format.JSONL, _obj()).column("n")
    assert [str(v) for v in column.to_pylist()] == ["1.5", "12345678901234567890.0"]


def test_json_fields_changing_type_become_json_columns_exactly() -> None:
    data = (
        b'{"a": 1, "p": {"a": 1}, "n": 18446744073709551615, "s": "x", "t": "2024-01-02"}\n'
        b'{"a": "one", "p": {"a": "x"}, "n": 2, "t": "2024-01-03", "f": [1.50, true]}\n'
        b'{"a": 12345678901234567890123, "p": null}\n'
    )
    table = parse(data, Format.JSONL, _obj())
    assert table.column_names == ["a", "p", "n", "s", "t", "f"]
    # Scalars of several types: text as written (so equal to the same values elsewhere).
    assert table.schema.field("a").type == pa.string()
    assert table.column("a").to_pylist() == ["1", "one", "12345678901234567890123"]
    assert table.column("p").to_pylist() == ['{"a":1}', '{"a":"x"}', None]
    assert [str(v) for v in table.column("n").to_pylist()[:2]] == ["18446744073709551615", "2"]
    assert table.column("s").to_pylist() == ["x", None, None]
    assert table.schema.field("t").type == pa.date32()
    assert table.column("f").to_pylist() == [None, "[1.50,true]", None]


@pytest.mark.parametrize(
    ("data", "line", "what"),
    [
        (b'{"a": 1}\n{"a": "x"}\n{"a": \n', 3, "invalid JSON"),
        (b'{"a": 1}\n{"a": "x"}\n\n[1]\n', 4, "a JSON array, not an object"),
    ],
)
def test_mixed_json_still_refuses_invalid_lines(data: bytes, line: int, what: str) -> None:
    message = rf"s3://b/x cannot be read as jsonl at line {line}: {what}"
    with pytest.raises(ExportError, match=message):
        parse(data, Format.JSONL, _obj())


@pytest.mark.parametrize(
    ("fmt", "data", "where"),
    [
        # A quoted field holding a newline: pyarrow's row 4 starts on line 5.
        (Format.CSV, b'a,b\n1,"x\ny"\n2,z\n3,4,5\n', "at line 5: CSV parse error: Expected"),
        (Format.CSV, b"a,b\n\n1,2\n3\n", "at line 4: CSV parse error: Expected"),
        # Blank lines are not rows for pyarrow.json: its row 2 is line 4.
        (Format.JSONL, b'{"a": 1}\n\n{"a": 2}\n{"a": \n', "at line 4: JSON parse error: Invalid"),
    ],
)
def test_parse_errors_name_the_physical_line_not_pyarrows_row(
    fmt: Format, data: bytes, where: str
) -> None:
    with pytest.raises(ExportError) as caught:
        parse(data, fmt, _obj())
    assert where in caught.value.message
    assert "row" not in caught.value.message.lower()


def test_a_string_column_joining_a_json_column_is_quoted_like_it() -> None:
    """One object's field of mixed types is JSON (``"E_A"`` quoted), another object's same
    field is plain text: the batch's column is JSON and the text is quoted too, so equal
    values stay equal (a new user's trial found 'E_A' and '"E_A"' in one STRING column)."""
    mixed = parse(b'{"code": 7}\n{"code": "E_A"}\n{"code": [1]}\n', Format.JSONL, _obj())
    plain = parse(b'{"code": "E_A"}\n{"code": "say \\"hi\\""}\n', Format.JSONL, _obj())
    families = at.unify([at.families_of(mixed), at.families_of(plain)])
    assert families["code"] is at.Family.JSON
    got = [
        at.conform(t, families, i).column("code").to_pylist() for i, t in enumerate([mixed, plain])
    ]
    assert got == [["7", '"E_A"', "[1]"], ['"E_A"', '"say \\"hi\\""']]
