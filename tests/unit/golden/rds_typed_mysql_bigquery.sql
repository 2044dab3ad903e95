SELECT
  CAST(`bi` AS INT64) AS `bi`,
  CAST(`ti` AS INT64) AS `ti`,
  CAST(`i_u` AS INT64) AS `i_u`,
  CAST(`bi_u` AS NUMERIC) AS `bi_u`,
  CAST(`yr` AS INT64) AS `yr`,
  CAST(`d10` AS NUMERIC) AS `d10`,
  CAST(`d38` AS BIGNUMERIC) AS `d38`,
  COALESCE(
    SAFE_CAST(`d65` AS BIGNUMERIC),
    CASE
      WHEN `d65` IS NULL
      THEN CAST(NULL AS BIGNUMERIC)
      ELSE ERROR(CONCAT('aws2bq-loss [d65]: cannot convert exactly: ', CAST(`d65` AS STRING)))
    END
  ) AS `d65`,
  CAST(`f` AS FLOAT64) AS `f`,
  COALESCE(
    IF(
      REGEXP_CONTAINS(`dt`, '^[0-9]{4,}-[0-9]{2}-[0-9]{2}$'),
      SAFE_CAST(`dt` AS DATE),
      NULL
    ),
    CASE
      WHEN `dt` IS NULL
      OR REGEXP_CONTAINS(`dt`, '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
      THEN CAST(NULL AS DATE)
      ELSE ERROR(CONCAT('aws2bq-loss [dt]: cannot convert exactly: ', CAST(`dt` AS STRING)))
    END
  ) AS `dt`,
  DATETIME(`dtm`, 'UTC') AS `dtm`,
  CAST(`ts` AS TIMESTAMP) AS `ts`,
  COALESCE(
    IF(
      REGEXP_CONTAINS(`tm`, '^-?[0-9]{1,3}:[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?$'),
      INTERVAL (IF(REGEXP_CONTAINS(`tm`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
        SAFE_CAST(REGEXP_EXTRACT(`tm`, '([0-9]+):[0-9]{2}:[0-9]{2}(?:[.][0-9]+)?$') AS INT64),
        0
      )) HOUR + INTERVAL (IF(REGEXP_CONTAINS(`tm`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
        SAFE_CAST(REGEXP_EXTRACT(`tm`, '[0-9]+:([0-9]{2}):[0-9]{2}(?:[.][0-9]+)?$') AS INT64),
        0
      )) MINUTE + INTERVAL (IF(REGEXP_CONTAINS(`tm`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
        SAFE_CAST(REGEXP_EXTRACT(`tm`, '[0-9]+:[0-9]{2}:([0-9]{2})(?:[.][0-9]+)?$') AS INT64),
        0
      )) SECOND + INTERVAL (IF(REGEXP_CONTAINS(`tm`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
        SAFE_CAST(RPAD(REGEXP_EXTRACT(`tm`, ':[0-9]{2}[.]([0-9]{1,6})$'), 6, '0') AS INT64),
        0
      )) MICROSECOND,
      NULL
    ),
    CASE
      WHEN `tm` IS NULL
      THEN CAST(NULL AS INTERVAL)
      ELSE ERROR(CONCAT('aws2bq-loss [tm]: cannot convert exactly: ', CAST(`tm` AS STRING)))
    END
  ) AS `tm`,
  `vc` AS `vc`,
  `en` AS `en`,
  IF(`st` = '', ARRAY<STRING>[], SPLIT(`st`, ',')) AS `st`,
  COALESCE(
    SAFE.PARSE_JSON(`js`),
    CASE
      WHEN `js` IS NULL
      THEN CAST(NULL AS JSON)
      ELSE ERROR(CONCAT('aws2bq-loss [js]: cannot convert exactly: ', CAST(`js` AS STRING)))
    END
  ) AS `js`,
  COALESCE(
    (
      SAFE_CAST(CONCAT('0x', TO_HEX(`b1`)) AS INT64)
    ) <> 0,
    CASE
      WHEN `b1` IS NULL
      THEN CAST(NULL AS BOOL)
      ELSE ERROR(
        CONCAT('aws2bq-loss [b1]: cannot convert exactly: ', CAST((
          TO_HEX(`b1`)
        ) AS STRING))
      )
    END
  ) AS `b1`,
  COALESCE(
    CAST(SAFE_CAST(CONCAT('0x', TO_HEX(`b12`)) AS INT64) AS INT64),
    CASE
      WHEN `b12` IS NULL
      THEN CAST(NULL AS INT64)
      ELSE ERROR(
        CONCAT('aws2bq-loss [b12]: cannot convert exactly: ', CAST((
          TO_HEX(`b12`)
        ) AS STRING))
      )
    END
  ) AS `b12`,
  COALESCE(
    CAST(CAST(SAFE_CAST(CONCAT('0x', SUBSTR(TO_HEX(`b64`), 1, 8)) AS INT64) AS NUMERIC) * 4294967296 + SAFE_CAST(CONCAT('0x', SUBSTR(TO_HEX(`b64`), 9)) AS INT64) AS NUMERIC),
    CASE
      WHEN `b64` IS NULL
      THEN CAST(NULL AS NUMERIC)
      ELSE ERROR(
        CONCAT('aws2bq-loss [b64]: cannot convert exactly: ', CAST((
          TO_HEX(`b64`)
        ) AS STRING))
      )
    END
  ) AS `b64`,
  `bl` AS `bl`,
  COALESCE(
    IF(
      STARTS_WITH(TO_HEX(`geo`), 'e6100000'),
      SAFE.ST_GEOGFROMWKB(FROM_HEX(SUBSTR(TO_HEX(`geo`), 9)), planar => FALSE, make_valid => TRUE),
      NULL
    ),
    CASE
      WHEN `geo` IS NULL
      THEN CAST(NULL AS GEOGRAPHY)
      ELSE ERROR(
        CONCAT('aws2bq-loss [geo]: cannot convert exactly: ', CAST((
          TO_HEX(`geo`)
        ) AS STRING))
      )
    END
  ) AS `geo`,
  CAST('exp\'1' AS STRING) AS `_aws2bq_export_id`,
  CAST('2024-01-01T00:00:00+00:00' AS TIMESTAMP) AS `_aws2bq_exported_at`
FROM `stage`.`main`.`g1`;

SELECT
  COUNTIF(`d65__lost`) AS `d65__lost`,
  MIN(CASE WHEN `d65__lost` THEN `d65__raw` END) AS `d65__example`,
  COUNTIF(`dt__lost`) AS `dt__lost`,
  MIN(CASE WHEN `dt__lost` THEN `dt__raw` END) AS `dt__example`,
  COUNTIF(`tm__lost`) AS `tm__lost`,
  MIN(CASE WHEN `tm__lost` THEN `tm__raw` END) AS `tm__example`,
  COUNTIF(`js__lost`) AS `js__lost`,
  MIN(CASE WHEN `js__lost` THEN `js__raw` END) AS `js__example`,
  COUNTIF(`b1__lost`) AS `b1__lost`,
  MIN(CASE WHEN `b1__lost` THEN `b1__raw` END) AS `b1__example`,
  COUNTIF(`b12__lost`) AS `b12__lost`,
  MIN(CASE WHEN `b12__lost` THEN `b12__raw` END) AS `b12__example`,
  COUNTIF(`b64__lost`) AS `b64__lost`,
  MIN(CASE WHEN `b64__lost` THEN `b64__raw` END) AS `b64__example`,
  COUNTIF(`geo__lost`) AS `geo__lost`,
  MIN(CASE WHEN `geo__lost` THEN `geo__raw` END) AS `geo__example`
FROM (
  SELECT
    NOT (
      NOT (
        SAFE_CAST(`d65` AS BIGNUMERIC) IS NULL
      )
    )
    AND NOT (
      `d65` IS NULL
    ) AS `d65__lost`,
    CAST(`d65` AS STRING) AS `d65__raw`,
    NOT (
      NOT (
        IF(
          REGEXP_CONTAINS(`dt`, '^[0-9]{4,}-[0-9]{2}-[0-9]{2}$'),
          SAFE_CAST(`dt` AS DATE),
          NULL
        ) IS NULL
      )
    )
    AND NOT (
      `dt` IS NULL
      OR REGEXP_CONTAINS(`dt`, '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
    ) AS `dt__lost`,
    CAST(`dt` AS STRING) AS `dt__raw`,
    NOT (
      NOT (
        IF(
          REGEXP_CONTAINS(`tm`, '^-?[0-9]{1,3}:[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?$'),
          INTERVAL (IF(REGEXP_CONTAINS(`tm`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
            SAFE_CAST(REGEXP_EXTRACT(`tm`, '([0-9]+):[0-9]{2}:[0-9]{2}(?:[.][0-9]+)?$') AS INT64),
            0
          )) HOUR + INTERVAL (IF(REGEXP_CONTAINS(`tm`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
            SAFE_CAST(REGEXP_EXTRACT(`tm`, '[0-9]+:([0-9]{2}):[0-9]{2}(?:[.][0-9]+)?$') AS INT64),
            0
          )) MINUTE + INTERVAL (IF(REGEXP_CONTAINS(`tm`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
            SAFE_CAST(REGEXP_EXTRACT(`tm`, '[0-9]+:[0-9]{2}:([0-9]{2})(?:[.][0-9]+)?$') AS INT64),
            0
          )) SECOND + INTERVAL (IF(REGEXP_CONTAINS(`tm`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
            SAFE_CAST(RPAD(REGEXP_EXTRACT(`tm`, ':[0-9]{2}[.]([0-9]{1,6})$'), 6, '0') AS INT64),
            0
          )) MICROSECOND,
          NULL
        ) IS NULL
      )
    )
    AND NOT (
      `tm` IS NULL
    ) AS `tm__lost`,
    CAST(`tm` AS STRING) AS `tm__raw`,
    NOT (
      NOT (
        SAFE.PARSE_JSON(`js`) IS NULL
      )
    ) AND NOT (
      `js` IS NULL
    ) AS `js__lost`,
    CAST(`js` AS STRING) AS `js__raw`,
    NOT (
      NOT (
        (
          SAFE_CAST(CONCAT('0x', TO_HEX(`b1`)) AS INT64)
        ) <> 0 IS NULL
      )
    )
    AND NOT (
      `b1` IS NULL
    ) AS `b1__lost`,
    TO_HEX(`b1`) AS `b1__raw`,
    NOT (
      NOT (
        CAST(SAFE_CAST(CONCAT('0x', TO_HEX(`b12`)) AS INT64) AS INT64) IS NULL
      )
    )
    AND NOT (
      `b12` IS NULL
    ) AS `b12__lost`,
    TO_HEX(`b12`) AS `b12__raw`,
    NOT (
      NOT (
        CAST(CAST(SAFE_CAST(CONCAT('0x', SUBSTR(TO_HEX(`b64`), 1, 8)) AS INT64) AS NUMERIC) * 4294967296 + SAFE_CAST(CONCAT('0x', SUBSTR(TO_HEX(`b64`), 9)) AS INT64) AS NUMERIC) IS NULL
      )
    )
    AND NOT (
      `b64` IS NULL
    ) AS `b64__lost`,
    TO_HEX(`b64`) AS `b64__raw`,
    NOT (
      NOT (
        IF(
          STARTS_WITH(TO_HEX(`geo`), 'e6100000'),
          SAFE.ST_GEOGFROMWKB(FROM_HEX(SUBSTR(TO_HEX(`geo`), 9)), planar => FALSE, make_valid => TRUE),
          NULL
        ) IS NULL
      )
    )
    AND NOT (
      `geo` IS NULL
    ) AS `geo__lost`,
    TO_HEX(`geo`) AS `geo__raw`
  FROM `stage`.`main`.`g1`
) AS checked
