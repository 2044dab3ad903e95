"""gcp-storage-emulator starts, stores objects, and bqemulator loads them from gs:// URIs."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest
from google.cloud import bigquery

from aws2bq.testing.gcs_emulator import GcsEmulator

from .conftest import BqDataset

pytestmark = pytest.mark.bigquery


def _upload(gcs: GcsEmulator, bucket: str, key: str, data: bytes) -> dict[str, object]:
    query = urllib.parse.urlencode({"uploadType": "media", "name": key})
    request = urllib.request.Request(
        f"{gcs.endpoint}/upload/storage/v1/b/{bucket}/o?{query}",
        data=data,
        method="POST",
        headers={"Content-Type": "application/octet-stream"},
    )
    with urllib.request.urlopen(request) as response:
        result: dict[str, object] = json.loads(response.read())
    return result


def test_gcs_emulator_round_trip(gcs_emulator: GcsEmulator) -> None:
    meta = _upload(gcs_emulator, "aws2bq-staging", "a/b.json", b'{"x": 1}\n')
    assert meta["name"] == "a/b.json"
    assert meta["size"] in ("9", 9)
    url = f"{gcs_emulator.endpoint}/storage/v1/b/aws2bq-staging/o/a%2Fb.json?alt=media"
    with urllib.request.urlopen(url) as response:
        assert response.read() == b'{"x": 1}\n'
    assert (gcs_emulator.objects_root / "aws2bq-staging" / "a" / "b.json").is_file()


def test_bigquery_loads_what_was_uploaded_to_gcs(
    gcs_emulator: GcsEmulator, bq_dataset: BqDataset
) -> None:
    key = f"exports/{bq_dataset.dataset_id}/part-0.json"
    _upload(gcs_emulator, "aws2bq-staging", key, b'{"id": 1, "s": "a"}\n{"id": 2, "s": "b"}\n')
    config = bigquery.LoadJobConfig(
        schema=[bigquery.SchemaField("id", "INT64"), bigquery.SchemaField("s", "STRING")],
        source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
    )
    job = bq_dataset.client.load_table_from_uri(
        f"gs://aws2bq-staging/{key}", bq_dataset.table("from_gcs"), job_config=config
    )
    job.result()
    assert job.output_rows == 2
    assert bq_dataset.query("SELECT id, s FROM from_gcs ORDER BY id") == [
        {"id": 1, "s": "a"},
        {"id": 2, "s": "b"},
    ]
