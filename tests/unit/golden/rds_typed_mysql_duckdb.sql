SELECT
  CAST("bi" AS BIGINT) AS "bi",
  CAST("ti" AS BIGINT) AS "ti",
  CAST("i_u" AS BIGINT) AS "i_u",
  CAST("bi_u" AS DECIMAL(20, 0)) AS "bi_u",
  CAST("yr" AS BIGINT) AS "yr",
  CAST("d10" AS DECIMAL(10, 2)) AS "d10",
  CAST("d38" AS DECIMAL(38, 10)) AS "d38",
  CASE
    WHEN REGEXP_MATCHES("d65", '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$')
    THEN LIST_TRANSFORM(
      [
        REGEXP_EXTRACT(
          "d65",
          '^([+-]?)([0-9]*)(?:[.]([0-9]*))?(?:[eE]([+-]?[0-9]+))?$',
          ['n', 'i', 'f', 'e']
        )
      ],
      _aws2bq_p -> LIST_TRANSFORM(
        [
          {'n': _aws2bq_p.n, 's': RTRIM(LTRIM(_aws2bq_p.i || _aws2bq_p.f, '0'), '0'), 'q': LENGTH(_aws2bq_p.i) + COALESCE(TRY_CAST(NULLIF(_aws2bq_p.e, '') AS BIGINT), 0) - (
            LENGTH(_aws2bq_p.i || _aws2bq_p.f) - LENGTH(LTRIM(_aws2bq_p.i || _aws2bq_p.f, '0'))
          )}
        ],
        _aws2bq_x -> CASE
          WHEN _aws2bq_x.s = ''
          THEN '0'
          ELSE CASE WHEN _aws2bq_x.n = '-' THEN '-' ELSE '' END || CASE
            WHEN GREATEST(_aws2bq_x.q, 0) <= 38
            AND GREATEST(LENGTH(_aws2bq_x.s) - _aws2bq_x.q, 0) <= 38
            THEN CASE
              WHEN _aws2bq_x.q <= 0
              THEN '0.' || REPEAT('0', CAST(-_aws2bq_x.q AS BIGINT)) || _aws2bq_x.s
              WHEN _aws2bq_x.q >= LENGTH(_aws2bq_x.s)
              THEN _aws2bq_x.s || REPEAT('0', CAST(_aws2bq_x.q - LENGTH(_aws2bq_x.s) AS BIGINT))
              ELSE LEFT(_aws2bq_x.s, CAST(_aws2bq_x.q AS BIGINT)) || '.' || SUBSTRING(_aws2bq_x.s, CAST(_aws2bq_x.q + 1 AS BIGINT))
            END
            ELSE LEFT(_aws2bq_x.s, 1) || CASE WHEN LENGTH(_aws2bq_x.s) > 1 THEN '.' || SUBSTRING(_aws2bq_x.s, 2) ELSE '' END || 'E' || CASE WHEN _aws2bq_x.q - 1 >= 0 THEN '+' ELSE '-' END || CAST(ABS(_aws2bq_x.q - 1) AS TEXT)
          END
        END
      )[1]
    )[1]
    ELSE "d65"
  END AS "d65",
  CAST("f" AS DOUBLE) AS "f",
  COALESCE(
    CASE
      WHEN REGEXP_MATCHES("dt", '^[0-9]{4,}-[0-9]{2}-[0-9]{2}( BC)?$')
      THEN TRY(
        MAKE_DATE(
          CASE
            WHEN ENDS_WITH("dt", ' BC')
            THEN 1 - CAST(SPLIT_PART("dt", '-', 1) AS BIGINT)
            ELSE CAST(SPLIT_PART("dt", '-', 1) AS BIGINT)
          END,
          CAST(SPLIT_PART("dt", '-', 2) AS BIGINT),
          CAST(SUBSTRING(SPLIT_PART("dt", '-', 3), 1, 2) AS BIGINT)
        )
      )
      WHEN "dt" = 'infinity'
      THEN CAST('infinity' AS DATE)
      WHEN "dt" = '-infinity'
      THEN CAST('-infinity' AS DATE)
    END,
    CASE
      WHEN "dt" IS NULL
      OR REGEXP_MATCHES("dt", '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
      THEN CAST(NULL AS DATE)
      ELSE ERROR('aws2bq-loss [dt]: cannot convert exactly: ' || CAST("dt" AS TEXT))
    END
  ) AS "dt",
  MAKE_TIMESTAMP(EPOCH_US("dtm")) AS "dtm",
  CAST("ts" AS TIMESTAMPTZ) AS "ts",
  COALESCE(
    CASE
      WHEN REGEXP_MATCHES("tm", '^-?[0-9]{1,3}:[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?$')
      THEN TRY_CAST("tm" AS INTERVAL)
    END,
    CASE
      WHEN "tm" IS NULL
      THEN CAST(NULL AS INTERVAL)
      ELSE ERROR('aws2bq-loss [tm]: cannot convert exactly: ' || CAST("tm" AS TEXT))
    END
  ) AS "tm",
  "vc" AS "vc",
  "en" AS "en",
  CASE WHEN "st" = '' THEN CAST([] AS TEXT[]) ELSE STR_SPLIT("st", ',') END AS "st",
  COALESCE(
    TRY_CAST("js" AS JSON),
    CASE
      WHEN "js" IS NULL
      THEN CAST(NULL AS JSON)
      ELSE ERROR('aws2bq-loss [js]: cannot convert exactly: ' || CAST("js" AS TEXT))
    END
  ) AS "js",
  COALESCE(
    (
      TRY_CAST((
        '0x' || HEX("b1")
      ) AS UBIGINT)
    ) <> 0,
    CASE
      WHEN "b1" IS NULL
      THEN CAST(NULL AS BOOLEAN)
      ELSE ERROR('aws2bq-loss [b1]: cannot convert exactly: ' || CAST((
        HEX("b1")
      ) AS TEXT))
    END
  ) AS "b1",
  COALESCE(
    CAST(TRY_CAST((
      '0x' || HEX("b12")
    ) AS UBIGINT) AS BIGINT),
    CASE
      WHEN "b12" IS NULL
      THEN CAST(NULL AS BIGINT)
      ELSE ERROR('aws2bq-loss [b12]: cannot convert exactly: ' || CAST((
        HEX("b12")
      ) AS TEXT))
    END
  ) AS "b12",
  COALESCE(
    CAST(TRY_CAST((
      '0x' || HEX("b64")
    ) AS UBIGINT) AS DECIMAL(20, 0)),
    CASE
      WHEN "b64" IS NULL
      THEN CAST(NULL AS DECIMAL(20, 0))
      ELSE ERROR('aws2bq-loss [b64]: cannot convert exactly: ' || CAST((
        HEX("b64")
      ) AS TEXT))
    END
  ) AS "b64",
  "bl" AS "bl",
  COALESCE(
    CASE
      WHEN SUBSTRING(HEX("geo"), 1, 8) = 'E6100000'
      THEN UNHEX(SUBSTRING(HEX("geo"), 9))
    END,
    CASE
      WHEN "geo" IS NULL
      THEN CAST(NULL AS BLOB)
      ELSE ERROR('aws2bq-loss [geo]: cannot convert exactly: ' || CAST((
        HEX("geo")
      ) AS TEXT))
    END
  ) AS "geo",
  CAST('exp''1' AS TEXT) AS "_aws2bq_export_id",
  CAST('2024-01-01T00:00:00+00:00' AS TIMESTAMPTZ) AS "_aws2bq_exported_at"
FROM "stage"."main"."g1";

SELECT
  COUNT_IF("dt__lost") AS "dt__lost",
  MIN(CASE WHEN "dt__lost" THEN "dt__raw" END) AS "dt__example",
  COUNT_IF("tm__lost") AS "tm__lost",
  MIN(CASE WHEN "tm__lost" THEN "tm__raw" END) AS "tm__example",
  COUNT_IF("js__lost") AS "js__lost",
  MIN(CASE WHEN "js__lost" THEN "js__raw" END) AS "js__example",
  COUNT_IF("b1__lost") AS "b1__lost",
  MIN(CASE WHEN "b1__lost" THEN "b1__raw" END) AS "b1__example",
  COUNT_IF("b12__lost") AS "b12__lost",
  MIN(CASE WHEN "b12__lost" THEN "b12__raw" END) AS "b12__example",
  COUNT_IF("b64__lost") AS "b64__lost",
  MIN(CASE WHEN "b64__lost" THEN "b64__raw" END) AS "b64__example",
  COUNT_IF("geo__lost") AS "geo__lost",
  MIN(CASE WHEN "geo__lost" THEN "geo__raw" END) AS "geo__example"
FROM (
  SELECT
    NOT (
      NOT (
        CASE
          WHEN REGEXP_MATCHES("dt", '^[0-9]{4,}-[0-9]{2}-[0-9]{2}( BC)?$')
          THEN TRY(
            MAKE_DATE(
              CASE
                WHEN ENDS_WITH("dt", ' BC')
                THEN 1 - CAST(SPLIT_PART("dt", '-', 1) AS BIGINT)
                ELSE CAST(SPLIT_PART("dt", '-', 1) AS BIGINT)
              END,
              CAST(SPLIT_PART("dt", '-', 2) AS BIGINT),
              CAST(SUBSTRING(SPLIT_PART("dt", '-', 3), 1, 2) AS BIGINT)
            )
          )
          WHEN "dt" = 'infinity'
          THEN CAST('infinity' AS DATE)
          WHEN "dt" = '-infinity'
          THEN CAST('-infinity' AS DATE)
        END IS NULL
      )
    )
    AND NOT (
      "dt" IS NULL
      OR REGEXP_MATCHES("dt", '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
    ) AS "dt__lost",
    CAST("dt" AS TEXT) AS "dt__raw",
    NOT (
      NOT (
        CASE
          WHEN REGEXP_MATCHES("tm", '^-?[0-9]{1,3}:[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?$')
          THEN TRY_CAST("tm" AS INTERVAL)
        END IS NULL
      )
    )
    AND NOT (
      "tm" IS NULL
    ) AS "tm__lost",
    CAST("tm" AS TEXT) AS "tm__raw",
    NOT (
      NOT (
        TRY_CAST("js" AS JSON) IS NULL
      )
    ) AND NOT (
      "js" IS NULL
    ) AS "js__lost",
    CAST("js" AS TEXT) AS "js__raw",
    NOT (
      NOT (
        (
          TRY_CAST((
            '0x' || HEX("b1")
          ) AS UBIGINT)
        ) <> 0 IS NULL
      )
    )
    AND NOT (
      "b1" IS NULL
    ) AS "b1__lost",
    HEX("b1") AS "b1__raw",
    NOT (
      NOT (
        CAST(TRY_CAST((
          '0x' || HEX("b12")
        ) AS UBIGINT) AS BIGINT) IS NULL
      )
    )
    AND NOT (
      "b12" IS NULL
    ) AS "b12__lost",
    HEX("b12") AS "b12__raw",
    NOT (
      NOT (
        CAST(TRY_CAST((
          '0x' || HEX("b64")
        ) AS UBIGINT) AS DECIMAL(20, 0)) IS NULL
      )
    )
    AND NOT (
      "b64" IS NULL
    ) AS "b64__lost",
    HEX("b64") AS "b64__raw",
    NOT (
      NOT (
        CASE
          WHEN SUBSTRING(HEX("geo"), 1, 8) = 'E6100000'
          THEN UNHEX(SUBSTRING(HEX("geo"), 9))
        END IS NULL
      )
    )
    AND NOT (
      "geo" IS NULL
    ) AS "geo__lost",
    HEX("geo") AS "geo__raw"
  FROM "stage"."main"."g1"
) AS checked
