CREATE TABLE IF NOT EXISTS `ds`.`items` (
  `pk` STRING,
  `created at` TIMESTAMP,
  `region` STRING,
  `_aws2bq_export_id` STRING,
  `_aws2bq_exported_at` TIMESTAMP
)
PARTITION BY DATE(`created at`)
CLUSTER BY `region`, `pk`;
