CREATE TABLE IF NOT EXISTS `ds`.`items` (
  `pk` STRING,
  `created at` TIMESTAMP,
  `region` STRING,
  `_aws2bq_export_id` STRING,
  `_aws2bq_exported_at` TIMESTAMP,
  `_valid_from` TIMESTAMP,
  `_valid_to` TIMESTAMP,
  `_is_current` BOOL,
  `_is_deleted` BOOL
)
PARTITION BY DATE(`created at`)
CLUSTER BY `region`, `pk`;
