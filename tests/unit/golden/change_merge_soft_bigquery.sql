-- before
ALTER TABLE `ds`.`items`
ADD COLUMN IF NOT EXISTS `tag` STRING;
ALTER TABLE `ds`.`items`
ALTER COLUMN `n` SET DATA TYPE NUMERIC;
CREATE TABLE IF NOT EXISTS `ds`.`_aws2bq_ledger` (
  `stream` STRING,
  `source` STRING,
  `export_id` STRING,
  `export_arn` STRING,
  `export_kind` STRING,
  `export_location` STRING,
  `exported_at` TIMESTAMP,
  `mode` STRING,
  `files` INT64,
  `manifest_items` INT64,
  `rows_after` INT64,
  `bytes` INT64,
  `schema_version` INT64,
  `schema_json` STRING,
  `changes_json` STRING,
  `applied_at` TIMESTAMP,
  `duration_seconds` FLOAT64,
  `aws2bq_version` STRING,
  `export_from` TIMESTAMP,
  `export_to` TIMESTAMP
);
-- transaction
MERGE INTO `ds`.`items` AS `_aws2bq_t`
USING (
  SELECT
    `pk`,
    `n`,
    `tag`,
    `_aws2bq_op`,
    `_aws2bq_change_at`
  FROM (
    SELECT
      `pk`,
      `n`,
      `tag`,
      `_aws2bq_op`,
      `_aws2bq_change_at`,
      ROW_NUMBER() OVER (PARTITION BY `pk` ORDER BY `_aws2bq_change_at` DESC, `_aws2bq_op` DESC) AS `_aws2bq_rn`
    FROM (
      SELECT
        COALESCE(`_aws2bq_new`.`pk`, `_aws2bq_old`.`pk`) AS `pk`,
        `_aws2bq_new`.`n` AS `n`,
        `_aws2bq_new`.`tag` AS `tag`,
        CASE WHEN `_aws2bq_new`.`pk` IS NULL THEN 'delete' ELSE 'upsert' END AS `_aws2bq_op`,
        CAST('2024-05-01T12:00:00+00:00' AS TIMESTAMP) AS `_aws2bq_change_at`
      FROM (
        SELECT
          CAST(`_aws2bq_snap`.`pk` AS STRING) AS `pk`,
          CAST(`_aws2bq_snap`.`n` AS NUMERIC) AS `n`,
          CAST(`_aws2bq_snap`.`tag` AS STRING) AS `tag`,
          FARM_FINGERPRINT(
            TO_JSON_STRING(
              STRUCT(
                CAST(`_aws2bq_snap`.`n` AS NUMERIC) AS c0,
                CAST(`_aws2bq_snap`.`tag` AS STRING) AS c1
              )
            )
          ) AS `_aws2bq_hash`
        FROM (
          SELECT
            *
          FROM `_aws2bq_staging`
        ) AS `_aws2bq_snap`
      ) AS `_aws2bq_new`
      FULL OUTER JOIN (
        SELECT
          `pk`,
          `n`,
          `tag`,
          FARM_FINGERPRINT(TO_JSON_STRING(STRUCT(`n` AS c0, `tag` AS c1))) AS `_aws2bq_hash`
        FROM `ds`.`items` AS `_aws2bq_t`
        WHERE
          NOT `_aws2bq_deleted`
      ) AS `_aws2bq_old`
        ON `_aws2bq_new`.`pk` = `_aws2bq_old`.`pk`
      WHERE
        `_aws2bq_new`.`pk` IS NULL
        OR `_aws2bq_old`.`pk` IS NULL
        OR `_aws2bq_new`.`_aws2bq_hash` <> `_aws2bq_old`.`_aws2bq_hash`
    ) AS `_aws2bq_c`
  ) AS `_aws2bq_n`
  WHERE
    `_aws2bq_rn` = 1
) AS `_aws2bq_s`
ON `_aws2bq_t`.`pk` = `_aws2bq_s`.`pk`
WHEN MATCHED AND `_aws2bq_s`.`_aws2bq_op` = 'delete' AND NOT `_aws2bq_t`.`_aws2bq_deleted` THEN UPDATE SET
  `_aws2bq_deleted` = TRUE,
  `_aws2bq_deleted_at` = `_aws2bq_s`.`_aws2bq_change_at`,
  `_aws2bq_export_id` = 'E2',
  `_aws2bq_exported_at` = CAST('2024-05-01T12:00:00+00:00' AS TIMESTAMP)
WHEN MATCHED AND `_aws2bq_s`.`_aws2bq_op` = 'upsert' THEN UPDATE SET
  `n` = `_aws2bq_s`.`n`,
  `tag` = `_aws2bq_s`.`tag`,
  `_aws2bq_export_id` = 'E2',
  `_aws2bq_exported_at` = CAST('2024-05-01T12:00:00+00:00' AS TIMESTAMP),
  `_aws2bq_deleted` = FALSE,
  `_aws2bq_deleted_at` = CAST(NULL AS TIMESTAMP)
WHEN NOT MATCHED AND `_aws2bq_s`.`_aws2bq_op` = 'upsert' THEN INSERT (
  `pk`,
  `n`,
  `tag`,
  `_aws2bq_export_id`,
  `_aws2bq_exported_at`,
  `_aws2bq_deleted`,
  `_aws2bq_deleted_at`
) VALUES (
  `_aws2bq_s`.`pk`,
  `_aws2bq_s`.`n`,
  `_aws2bq_s`.`tag`,
  'E2',
  CAST('2024-05-01T12:00:00+00:00' AS TIMESTAMP),
  FALSE,
  CAST(NULL AS TIMESTAMP)
);
INSERT INTO `ds`.`_aws2bq_ledger` (
  `stream`,
  `source`,
  `export_id`,
  `export_arn`,
  `export_kind`,
  `export_location`,
  `exported_at`,
  `mode`,
  `files`,
  `manifest_items`,
  `rows_after`,
  `bytes`,
  `schema_version`,
  `schema_json`,
  `changes_json`,
  `applied_at`,
  `duration_seconds`,
  `aws2bq_version`
)
VALUES
  (
    's',
    'dynamodb',
    'E2',
    'arn',
    'full',
    's3://b/p',
    CAST('2024-05-01T12:00:00+00:00' AS TIMESTAMP),
    'merge',
    CAST(1 AS INT64),
    CAST(2 AS INT64),
    CAST(2 AS INT64),
    CAST(3 AS INT64),
    CAST(2 AS INT64),
    '{"version": 2, "keys": ["pk"], "columns": [{"name": "pk", "type": "STRING", "source_name": "pk", "role": "key"}, {"name": "n", "type": "NUMERIC", "source_name": "n", "role": "data"}, {"name": "tag", "type": "STRING", "source_name": "tag", "role": "data"}, {"name": "_aws2bq_export_id", "type": "STRING", "source_name": "_aws2bq_export_id", "role": "system"}, {"name": "_aws2bq_exported_at", "type": "TIMESTAMP", "source_name": "_aws2bq_exported_at", "role": "system"}]}',
    '{}',
    CAST('2024-05-01T12:00:00+00:00' AS TIMESTAMP),
    CAST(0.0 AS FLOAT64),
    'test'
  );
