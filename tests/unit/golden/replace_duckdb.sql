-- before

-- transaction
DROP TABLE IF EXISTS "My Table__aws2bq_new";
CREATE TABLE "My Table__aws2bq_new" AS SELECT * FROM "stage"."main"."items";
COMMENT ON COLUMN "My Table__aws2bq_new"."pk" IS 'source attribute: pk';
COMMENT ON COLUMN "My Table__aws2bq_new"."b" IS 'source attribute: b';
COMMENT ON COLUMN "My Table__aws2bq_new"."d" IS 'source attribute: d';
COMMENT ON COLUMN "My Table__aws2bq_new"."m" IS 'source attribute: m';
COMMENT ON COLUMN "My Table__aws2bq_new"."n" IS 'source attribute: n';
COMMENT ON COLUMN "My Table__aws2bq_new"."x'_ DROP TABLE t_ --" IS 'source attribute: x''; DROP TABLE t; --';
COMMENT ON COLUMN "My Table__aws2bq_new"."_aws2bq_export_id" IS 'aws2bq: _aws2bq_export_id';
COMMENT ON COLUMN "My Table__aws2bq_new"."_aws2bq_exported_at" IS 'aws2bq: _aws2bq_exported_at';
DROP TABLE "My Table";
ALTER TABLE "My Table__aws2bq_new" RENAME TO "My Table";
CREATE TABLE IF NOT EXISTS "_aws2bq_ledger" ("stream" TEXT, "source" TEXT, "export_id" TEXT, "export_arn" TEXT, "export_kind" TEXT, "export_location" TEXT, "exported_at" TIMESTAMPTZ, "mode" TEXT, "files" BIGINT, "manifest_items" BIGINT, "rows_after" BIGINT, "bytes" BIGINT, "schema_version" BIGINT, "schema_json" TEXT, "changes_json" TEXT, "applied_at" TIMESTAMPTZ, "duration_seconds" DOUBLE, "aws2bq_version" TEXT, "export_from" TIMESTAMPTZ, "export_to" TIMESTAMPTZ, PRIMARY KEY ("stream", "export_id"));
INSERT INTO "_aws2bq_ledger" ("stream", "source", "export_id", "export_arn", "export_kind", "export_location", "exported_at", "mode", "files", "manifest_items", "rows_after", "bytes", "schema_version", "schema_json", "changes_json", "applied_at", "duration_seconds", "aws2bq_version") VALUES ('My Table', 'dynamodb', '0170-ab', 'arn:x', 'full', 's3://b/p', CAST('2024-01-02T00:00:00+00:00' AS TIMESTAMPTZ), 'replace', CAST(2 AS BIGINT), CAST(10 AS BIGINT), CAST(10 AS BIGINT), CAST(100 AS BIGINT), CAST(1 AS BIGINT), '{"version": 1, "keys": ["pk"], "columns": [{"name": "pk", "type": "STRING", "source_name": "pk", "role": "key"}, {"name": "b", "type": "ARRAY<BYTES>", "source_name": "b", "role": "data"}, {"name": "d", "type": "NUMERIC", "source_name": "d", "role": "data"}, {"name": "m", "type": "JSON", "source_name": "m", "role": "data"}, {"name": "n", "type": "INT64", "source_name": "n", "role": "data"}, {"name": "x''_ DROP TABLE t_ --", "type": "STRING", "source_name": "x''; DROP TABLE t; --", "role": "data"}, {"name": "_aws2bq_export_id", "type": "STRING", "source_name": "_aws2bq_export_id", "role": "system"}, {"name": "_aws2bq_exported_at", "type": "TIMESTAMP", "source_name": "_aws2bq_exported_at", "role": "system"}]}', '{"added": ["pk"]}', CAST('2024-01-02T00:00:00+00:00' AS TIMESTAMPTZ), CAST(1.5 AS DOUBLE), '0.1.0')
