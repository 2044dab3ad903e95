-- before
-- transaction
ALTER TABLE "ds"."items"
ADD COLUMN IF NOT EXISTS "tag" TEXT;
ALTER TABLE "ds"."items"
ALTER COLUMN "n" SET DATA TYPE DECIMAL(38, 9) USING CAST("n" AS DECIMAL(38, 9));
CREATE TABLE IF NOT EXISTS "ds"."_aws2bq_ledger" (
  "stream" TEXT,
  "source" TEXT,
  "export_id" TEXT,
  "export_arn" TEXT,
  "export_kind" TEXT,
  "export_location" TEXT,
  "exported_at" TIMESTAMPTZ,
  "mode" TEXT,
  "files" BIGINT,
  "manifest_items" BIGINT,
  "rows_after" BIGINT,
  "bytes" BIGINT,
  "schema_version" BIGINT,
  "schema_json" TEXT,
  "changes_json" TEXT,
  "applied_at" TIMESTAMPTZ,
  "duration_seconds" DOUBLE,
  "aws2bq_version" TEXT,
  "export_from" TIMESTAMPTZ,
  "export_to" TIMESTAMPTZ,
  PRIMARY KEY ("stream", "export_id")
);
MERGE INTO "ds"."items" AS "_aws2bq_t"
USING (
  SELECT
    "pk",
    "n",
    "tag",
    "_aws2bq_op",
    "_aws2bq_change_at"
  FROM (
    SELECT
      "pk",
      "n",
      "tag",
      "_aws2bq_op",
      "_aws2bq_change_at",
      ROW_NUMBER() OVER (PARTITION BY "pk" ORDER BY "_aws2bq_change_at" DESC, "_aws2bq_op" DESC) AS "_aws2bq_rn"
    FROM (
      SELECT
        COALESCE("_aws2bq_new"."pk", "_aws2bq_old"."pk") AS "pk",
        "_aws2bq_new"."n" AS "n",
        "_aws2bq_new"."tag" AS "tag",
        CASE WHEN "_aws2bq_new"."pk" IS NULL THEN 'delete' ELSE 'upsert' END AS "_aws2bq_op",
        CAST('2024-05-01T12:00:00+00:00' AS TIMESTAMPTZ) AS "_aws2bq_change_at"
      FROM (
        SELECT
          CAST("_aws2bq_snap"."pk" AS TEXT) AS "pk",
          CAST("_aws2bq_snap"."n" AS DECIMAL(38, 9)) AS "n",
          CAST("_aws2bq_snap"."tag" AS TEXT) AS "tag",
          HASH(CAST("_aws2bq_snap"."n" AS DECIMAL(38, 9)), CAST("_aws2bq_snap"."tag" AS TEXT)) AS "_aws2bq_hash"
        FROM (
          SELECT
            *
          FROM "_aws2bq_staging"
        ) AS "_aws2bq_snap"
      ) AS "_aws2bq_new"
      FULL OUTER JOIN (
        SELECT
          "pk",
          "n",
          "tag",
          HASH("n", "tag") AS "_aws2bq_hash"
        FROM "ds"."items" AS "_aws2bq_t"
        WHERE
          TRUE
      ) AS "_aws2bq_old"
        ON "_aws2bq_new"."pk" = "_aws2bq_old"."pk"
      WHERE
        "_aws2bq_new"."pk" IS NULL
        OR "_aws2bq_old"."pk" IS NULL
        OR "_aws2bq_new"."_aws2bq_hash" <> "_aws2bq_old"."_aws2bq_hash"
    ) AS "_aws2bq_c"
  ) AS "_aws2bq_n"
  WHERE
    "_aws2bq_rn" = 1
) AS "_aws2bq_s"
ON "_aws2bq_t"."pk" = "_aws2bq_s"."pk"
WHEN MATCHED AND "_aws2bq_s"."_aws2bq_op" = 'delete' THEN DELETE
WHEN MATCHED AND "_aws2bq_s"."_aws2bq_op" = 'upsert' THEN UPDATE SET
  "n" = "_aws2bq_s"."n",
  "tag" = "_aws2bq_s"."tag",
  "_aws2bq_export_id" = 'E2',
  "_aws2bq_exported_at" = CAST('2024-05-01T12:00:00+00:00' AS TIMESTAMPTZ)
WHEN NOT MATCHED AND "_aws2bq_s"."_aws2bq_op" = 'upsert' THEN INSERT ("pk", "n", "tag", "_aws2bq_export_id", "_aws2bq_exported_at") VALUES (
  "_aws2bq_s"."pk",
  "_aws2bq_s"."n",
  "_aws2bq_s"."tag",
  'E2',
  CAST('2024-05-01T12:00:00+00:00' AS TIMESTAMPTZ)
);
INSERT INTO "ds"."_aws2bq_ledger" (
  "stream",
  "source",
  "export_id",
  "export_arn",
  "export_kind",
  "export_location",
  "exported_at",
  "mode",
  "files",
  "manifest_items",
  "rows_after",
  "bytes",
  "schema_version",
  "schema_json",
  "changes_json",
  "applied_at",
  "duration_seconds",
  "aws2bq_version"
)
VALUES
  (
    's',
    'dynamodb',
    'E2',
    'arn',
    'full',
    's3://b/p',
    CAST('2024-05-01T12:00:00+00:00' AS TIMESTAMPTZ),
    'merge',
    CAST(1 AS BIGINT),
    CAST(2 AS BIGINT),
    CAST(2 AS BIGINT),
    CAST(3 AS BIGINT),
    CAST(2 AS BIGINT),
    '{"version": 2, "keys": ["pk"], "columns": [{"name": "pk", "type": "STRING", "source_name": "pk", "role": "key"}, {"name": "n", "type": "NUMERIC", "source_name": "n", "role": "data"}, {"name": "tag", "type": "STRING", "source_name": "tag", "role": "data"}, {"name": "_aws2bq_export_id", "type": "STRING", "source_name": "_aws2bq_export_id", "role": "system"}, {"name": "_aws2bq_exported_at", "type": "TIMESTAMP", "source_name": "_aws2bq_exported_at", "role": "system"}]}',
    '{}',
    CAST('2024-05-01T12:00:00+00:00' AS TIMESTAMPTZ),
    CAST(0.0 AS DOUBLE),
    'test'
  );
