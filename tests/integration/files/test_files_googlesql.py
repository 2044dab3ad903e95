"""Every statement a files load sends to BigQuery (append and merge, a first load and one
that adds a column and widens another), analyzed by GoogleSQL's analyzer and checked against
BigQuery's documented rules, on the production (CLOUD) code path against bqemulator."""

from __future__ import annotations

import uuid

import pytest

from aws2bq.sources.files.load import FilesLoadRequest, load_files
from aws2bq.sources.files.options import FilesMode, Format
from aws2bq.testing.bqemulator import BigQueryEmulator
from aws2bq.testing.googlesql import GoogleSqlAnalyzer
from tests.integration.bigquery.conftest import PROJECT, drop_dataset
from tests.integration.bigquery.recording import Recorder, analyze, rebuilds_a_table
from tests.integration.bigquery.test_googlesql_every_statement import cloud_warehouse

from .conftest import S3Bucket, jsonl

pytestmark = [pytest.mark.bigquery, pytest.mark.slow]


@pytest.mark.parametrize("mode", [FilesMode.APPEND, FilesMode.MERGE])
def test_every_files_statement_passes_googlesql_analysis(
    s3: S3Bucket,
    bq_emulator: BigQueryEmulator,
    googlesql: GoogleSqlAnalyzer,
    mode: FilesMode,
) -> None:
    dataset = f"gf_{mode}_{uuid.uuid4().hex[:8]}"
    wh = cloud_warehouse(bq_emulator, dataset)
    keys = ("id",) if mode is FilesMode.MERGE else ()
    request = FilesLoadRequest(
        s3.url("q/"), "events", Format.JSONL, mode, keys=keys, warehouse=wh.url
    )
    try:
        with Recorder() as recorder:
            s3.put("q/1.jsonl", jsonl([{"id": 1, "flag": True, "doc": {"a": [1]}}]))
            load_files(request, warehouse=wh)
            # A new column and a BOOL seen as text: the table is rebuilt on BigQuery.
            s3.put("q/2.jsonl", jsonl([{"id": 1, "flag": "yes", "extra": 2.5}]))
            load_files(request, warehouse=wh)
        found = analyze(recorder, PROJECT, dataset, googlesql)
    finally:
        wh.close()
        drop_dataset(bq_emulator, dataset)
    assert [str(e) for e in found.errors] == []
    assert found.kinds["ResolvedInsertStmt"] >= 1
    if mode is FilesMode.MERGE:
        assert found.kinds["ResolvedMergeStmt"] >= 1
    assert len([s for s in found.statements if rebuilds_a_table(s)]) == 1
    for rule in ("transaction", "query_length", "column_name", "description", "partition"):
        assert found.rule(rule) == [], rule
