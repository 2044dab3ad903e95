"""The source registry and interface: found by kind, one folder adds a source, one ledger
identity per stream, one RDS destination-name rule."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import aws2bq.sources as sources
from aws2bq.config import DynamoDBStream, RdsStream
from aws2bq.errors import ConfigError
from aws2bq.runner import appliers
from aws2bq.runner.ledger_view import LedgerRow, rows_of
from aws2bq.sources.rds.names import destination_name

ROLE = "arn:aws:iam::123456789012:role/export"
T = datetime(2024, 5, 1, tzinfo=UTC)


def ddb(**kw: Any) -> DynamoDBStream:
    return DynamoDBStream.model_validate(
        {"name": "s", "table": "Orders", "export_bucket": "exports-1", **kw}
    )


def rds(**kw: Any) -> RdsStream:
    base = {"name": "shop", "instance": "db1", "export_bucket": "exports-1",
            "iam_role_arn": ROLE, "kms_key_id": "alias/k"}  # fmt: skip
    return RdsStream.model_validate({**base, **kw})


def row(stream: str, source: str, location: str, export_id: str = "E1") -> LedgerRow:
    return LedgerRow(stream, source, export_id, "full", location, T, 1, 1, T, {})


def test_each_stream_kind_finds_its_source_by_name() -> None:
    assert {"dynamodb", "rds"} <= set(sources.kinds())
    for kind in ("dynamodb", "rds"):
        assert sources.source_for(kind).kind == kind
    assert sources.source_of(ddb()).kind == "dynamodb"
    assert sources.source_of(rds()).kind == "rds"


def test_an_unknown_kind_is_a_config_error_naming_the_kinds() -> None:
    with pytest.raises(ConfigError, match="unknown stream kind 'dynamdb'") as caught:
        sources.source_for("dynamdb")
    assert caught.value.hint == "did you mean 'dynamodb'?"


def test_every_stream_needs_only_registered_appliers() -> None:
    streams = [ddb(), ddb(cadence="incremental", mode="merge", keys=["id"]), rds(),
               rds(tables={"shop.orders": {"mode": "history", "keys": ["id"]}})]  # fmt: skip
    for stream in streams:
        appliers.check_supported(stream)
    assert appliers.required_appliers(streams[1]) == [
        ("dynamodb", "full", "merge"),
        ("dynamodb", "incremental", "merge"),
    ]
    assert appliers.required_appliers(streams[3]) == [
        ("rds", "snapshot", "history"),
        ("rds", "snapshot", "replace"),
    ]


def test_a_source_refuses_what_the_runner_cannot_serve() -> None:
    stream = rds(tables={"shop.orders": {"destination": "orders"}})
    with pytest.raises(appliers.NotYetSupportedError, match="per-table destination"):
        appliers.check_supported(stream)


def test_ledger_rows_are_a_streams_by_its_identity() -> None:
    ledger = [
        row("s", "dynamodb", "s3://exports-1/aws2bq/s/AWSDynamoDB/E1"),
        row("other", "dynamodb", "s3://exports-1/aws2bq/other/AWSDynamoDB/E2", "E2"),
        row("rds:shop.orders", "rds", "s3://exports-1/aws2bq/shop/T1/", "T1"),
        row("rds:shop.orders", "rds", "s3://exports-1/aws2bq/shop-2/T2/", "T2"),
        # A DynamoDB row under the RDS stream's prefix is not the RDS stream's.
        row("x", "dynamodb", "s3://exports-1/aws2bq/shop/E3", "E3"),
    ]
    assert [r.export_id for r in rows_of(ddb(), ledger)] == ["E1"]
    assert [r.export_id for r in rows_of(ddb(destination="other"), ledger)] == ["E2"]
    assert [r.export_id for r in rows_of(rds(), ledger)] == ["T1"]


@pytest.mark.parametrize(
    ("db", "schema", "table", "template", "name"),
    [
        ("shop", None, "orders", None, "shop__orders"),
        ("app", "public", "users", None, "app__public__users"),
        ("shop", None, "orders", "{db}.{table}!", "shop_orders_"),
        ("shop", None, "core.user", None, "shop__core_user"),
    ],
)
def test_one_rds_naming_rule(
    db: str, schema: str | None, table: str, template: str | None, name: str
) -> None:
    assert destination_name(db, schema, table, template) == name
    stream = rds(table_name_template=template, engine="postgres" if schema else "mysql")
    assert stream.destination_for(db, table, schema) == name


@pytest.mark.parametrize(
    ("template", "message"),
    [("{database}", "bad table name template"), ("_aws2bq_{table}", "reserved"), (" ", "invalid")],
)
def test_a_bad_template_is_a_config_error(template: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        destination_name("shop", None, "orders", template)


# -- a new source is one folder ---------------------------------------------------------------
FAKE_SOURCE = """
from aws2bq.sources.base import Applied, PlanTarget, Source, StreamIdentity


def apply(ctx, export):
    return Applied(export.export_id)


class FakeSource(Source):
    kind = "fake"
    config_model = object

    def export_kinds(self, stream):
        return ["objects"]

    def appliers(self):
        return {("objects", "append"): apply}

    def identity(self, stream):
        return StreamIdentity(self.kind, ledger_stream=stream.name)

    def destination(self, stream):
        return stream.name

    def plan_targets(self, stream, keys):
        return []

    def run(self, job, stream):
        job.read_ledger()

    def export_files(self, stream, location):
        return []


SOURCE = FakeSource()
"""


@pytest.fixture
def fake_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    folder = tmp_path / "fake"
    folder.mkdir()
    (folder / "__init__.py").write_text('"""A stand-in third source."""\n')
    (folder / "source.py").write_text(textwrap.dedent(FAKE_SOURCE))
    monkeypatch.setattr(sources, "__path__", [*sources.__path__, str(tmp_path)])
    sources.source_for.cache_clear()
    yield
    sources.source_for.cache_clear()
    for name in [m for m in sys.modules if m.startswith("aws2bq.sources.fake")]:
        del sys.modules[name]


def test_a_folder_without_a_source_module_is_no_stream_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source being written (a folder without ``source.py`` yet) stays out of the kinds."""
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "__init__.py").write_text("")
    monkeypatch.setattr(sources, "__path__", [*sources.__path__, str(tmp_path)])
    try:
        assert "half" not in sources.kinds()
        with pytest.raises(ConfigError, match="unknown stream kind 'half'"):
            sources.source_for("half")
    finally:
        sources.source_for.cache_clear()
        sys.modules.pop("aws2bq.sources.half", None)


@pytest.mark.usefixtures("fake_source")
def test_a_new_source_is_one_folder() -> None:
    """A folder with a ``source`` module is a stream kind: found by name, its appliers
    registered, its streams checked, with no other file naming it."""

    class Stream:
        kind = "fake"
        name = "logs"
        mode = "append"

    assert "fake" in sources.kinds()
    assert sources.source_for("fake").kind == "fake"
    registered = appliers._registered()
    assert ("fake", "objects", "append") in registered
    assert appliers.required_appliers(Stream()) == [("fake", "objects", "append")]
    assert [r.export_id for r in rows_of(Stream(), [row("logs", "fake", "s3://b/p/o")])] == ["E1"]
