SELECT
  COALESCE(
    CASE
      WHEN REGEXP_MATCHES("i", '^[+-]?[0-9]+$')
      THEN (
        TRY_CAST("i" AS BIGINT)
      )
    END,
    CASE
      WHEN "i" IS NULL
      THEN CAST(NULL AS BIGINT)
      ELSE ERROR('aws2bq-loss [i]: cannot convert exactly: ' || CAST("i" AS TEXT))
    END
  ) AS "i",
  COALESCE(
    CASE
      WHEN REGEXP_MATCHES("b", '^[+-]?[0-9]+$')
      THEN (
        TRY_CAST("b" AS BIGINT)
      )
    END,
    CASE
      WHEN "b" IS NULL
      THEN CAST(NULL AS BIGINT)
      ELSE ERROR('aws2bq-loss [b]: cannot convert exactly: ' || CAST("b" AS TEXT))
    END
  ) AS "b",
  COALESCE(
    CASE
      WHEN REGEXP_MATCHES(
        "r",
        '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$|^(NaN|[+-]?Infinity)$'
      )
      THEN (
        TRY_CAST("r" AS DOUBLE)
      )
    END,
    CASE
      WHEN "r" IS NULL
      THEN CAST(NULL AS DOUBLE)
      ELSE ERROR('aws2bq-loss [r]: cannot convert exactly: ' || CAST("r" AS TEXT))
    END
  ) AS "r",
  COALESCE(
    CASE LOWER("ok")
      WHEN 't'
      THEN TRUE
      WHEN 'true'
      THEN TRUE
      WHEN 'f'
      THEN FALSE
      WHEN 'false'
      THEN FALSE
    END,
    CASE
      WHEN "ok" IS NULL
      THEN CAST(NULL AS BOOLEAN)
      ELSE ERROR('aws2bq-loss [ok]: cannot convert exactly: ' || CAST("ok" AS TEXT))
    END
  ) AS "ok",
  COALESCE(
    CASE
      WHEN REGEXP_MATCHES("raw", '^\\x([0-9a-fA-F]{2})*$')
      THEN FROM_HEX(SUBSTRING("raw", 3))
    END,
    CASE
      WHEN "raw" IS NULL
      THEN CAST(NULL AS BLOB)
      ELSE ERROR('aws2bq-loss [raw]: cannot convert exactly: ' || CAST("raw" AS TEXT))
    END
  ) AS "raw",
  CASE
    WHEN REGEXP_MATCHES("n", '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$')
    THEN LIST_TRANSFORM(
      [
        REGEXP_EXTRACT("n", '^([+-]?)([0-9]*)(?:[.]([0-9]*))?(?:[eE]([+-]?[0-9]+))?$', ['n', 'i', 'f', 'e'])
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
    ELSE "n"
  END AS "n",
  COALESCE(
    TRY_CAST("n2" AS DECIMAL(10, 3)),
    CASE
      WHEN "n2" IS NULL
      THEN CAST(NULL AS DECIMAL(10, 3))
      ELSE ERROR('aws2bq-loss [n2]: cannot convert exactly: ' || CAST("n2" AS TEXT))
    END
  ) AS "n2",
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
  COALESCE(
    CASE
      WHEN REGEXP_MATCHES(
        "ts",
        '^[0-9]{4,}-[0-9]{2}-[0-9]{2} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?( BC)?$'
      )
      THEN TRY(
        MAKE_DATE(
          CASE
            WHEN ENDS_WITH("ts", ' BC')
            THEN 1 - CAST(SPLIT_PART("ts", '-', 1) AS BIGINT)
            ELSE CAST(SPLIT_PART("ts", '-', 1) AS BIGINT)
          END,
          CAST(SPLIT_PART("ts", '-', 2) AS BIGINT),
          CAST(SUBSTRING(SPLIT_PART("ts", '-', 3), 1, 2) AS BIGINT)
        ) + CAST(SPLIT_PART("ts", ' ', 2) AS TIME)
      )
      WHEN "ts" = 'infinity'
      THEN CAST('infinity' AS TIMESTAMP)
      WHEN "ts" = '-infinity'
      THEN CAST('-infinity' AS TIMESTAMP)
    END,
    CASE
      WHEN "ts" IS NULL
      OR REGEXP_MATCHES("ts", '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
      THEN CAST(NULL AS TIMESTAMP)
      ELSE ERROR('aws2bq-loss [ts]: cannot convert exactly: ' || CAST("ts" AS TEXT))
    END
  ) AS "ts",
  COALESCE(
    CASE
      WHEN REGEXP_MATCHES(
        "tz",
        '^[0-9]{4,}-[0-9]{2}-[0-9]{2} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?[+-][0-9]{2}(:[0-9]{2}){0,2}( BC)?$'
      )
      THEN TRY(
        TIMEZONE(
          'UTC',
          MAKE_DATE(
            CASE
              WHEN ENDS_WITH("tz", ' BC')
              THEN 1 - CAST(SPLIT_PART("tz", '-', 1) AS BIGINT)
              ELSE CAST(SPLIT_PART("tz", '-', 1) AS BIGINT)
            END,
            CAST(SPLIT_PART("tz", '-', 2) AS BIGINT),
            CAST(SUBSTRING(SPLIT_PART("tz", '-', 3), 1, 2) AS BIGINT)
          ) + CAST(REGEXP_EXTRACT("tz", ' ([0-9:.]+)', 1) AS TIME) - TO_SECONDS(
            CAST(REGEXP_EXTRACT("tz", '([+-])[0-9]{2}(:[0-9]{2}){0,2}( BC)?$', 1) || '1' AS BIGINT) * (
              CAST(REGEXP_EXTRACT("tz", '[+-]([0-9]{2})(:[0-9]{2}){0,2}( BC)?$', 1) AS BIGINT) * 3600 + COALESCE(
                CAST(NULLIF(REGEXP_EXTRACT("tz", '[+-][0-9]{2}:([0-9]{2})(:[0-9]{2})?( BC)?$', 1), '') AS BIGINT),
                0
              ) * 60 + COALESCE(
                CAST(NULLIF(REGEXP_EXTRACT("tz", '[+-][0-9]{2}:[0-9]{2}:([0-9]{2})( BC)?$', 1), '') AS BIGINT),
                0
              )
            )
          )
        )
      )
      WHEN "tz" = 'infinity'
      THEN CAST('infinity' AS TIMESTAMPTZ)
      WHEN "tz" = '-infinity'
      THEN CAST('-infinity' AS TIMESTAMPTZ)
    END,
    CASE
      WHEN "tz" IS NULL
      OR REGEXP_MATCHES("tz", '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
      THEN CAST(NULL AS TIMESTAMPTZ)
      ELSE ERROR('aws2bq-loss [tz]: cannot convert exactly: ' || CAST("tz" AS TEXT))
    END
  ) AS "tz",
  COALESCE(
    CASE
      WHEN REGEXP_MATCHES(
        "tm",
        '^(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00([.]0{1,6})?)$'
      )
      THEN TRY_CAST("tm" AS TIME)
    END,
    CASE
      WHEN "tm" IS NULL
      THEN CAST(NULL AS TIME)
      ELSE ERROR('aws2bq-loss [tm]: cannot convert exactly: ' || CAST("tm" AS TEXT))
    END
  ) AS "tm",
  COALESCE(
    CASE
      WHEN REGEXP_MATCHES(
        "iv",
        '^(-?[0-9]+ years? ?)?(-?[0-9]+ mons? ?)?(-?[0-9]+ days? ?)?([+-]?[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?)?$'
      )
      AND "iv" <> ''
      THEN TRY(
        TO_MONTHS(
          12 * COALESCE(CAST(NULLIF(REGEXP_EXTRACT("iv", '(-?[0-9]+) years?', 1), '') AS BIGINT), 0) + COALESCE(CAST(NULLIF(REGEXP_EXTRACT("iv", '(-?[0-9]+) mons?', 1), '') AS BIGINT), 0)
        ) + TO_DAYS(
          COALESCE(CAST(NULLIF(REGEXP_EXTRACT("iv", '(-?[0-9]+) days?', 1), '') AS BIGINT), 0)
        ) + CASE
          WHEN REGEXP_MATCHES("iv", '[0-9]:[0-9]{2}:[0-9]{2}([.][0-9]+)?$')
          THEN TRY_CAST(LTRIM(REGEXP_EXTRACT("iv", '([+-]?[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?)$', 1), '+') AS INTERVAL)
          ELSE INTERVAL '0' SECOND
        END
      )
    END,
    CASE
      WHEN "iv" IS NULL
      THEN CAST(NULL AS INTERVAL)
      ELSE ERROR('aws2bq-loss [iv]: cannot convert exactly: ' || CAST("iv" AS TEXT))
    END
  ) AS "iv",
  COALESCE(
    TRY_CAST("j" AS JSON),
    CASE
      WHEN "j" IS NULL
      THEN CAST(NULL AS JSON)
      ELSE ERROR('aws2bq-loss [j]: cannot convert exactly: ' || CAST("j" AS TEXT))
    END
  ) AS "j",
  COALESCE(
    TRY_CAST("jb" AS JSON),
    CASE
      WHEN "jb" IS NULL
      THEN CAST(NULL AS JSON)
      ELSE ERROR('aws2bq-loss [jb]: cannot convert exactly: ' || CAST("jb" AS TEXT))
    END
  ) AS "jb",
  "u" AS "u",
  COALESCE(
    CASE
      WHEN STARTS_WITH((
        AWS2BQ_PG_ARRAY("arr", 'int', ',')
      ), '[')
      AND NOT STARTS_WITH((
        AWS2BQ_PG_ARRAY("arr", 'int', ',')
      ), '[[')
      THEN (
        TRY_CAST(CAST((
          AWS2BQ_PG_ARRAY("arr", 'int', ',')
        ) AS JSON) AS BIGINT[])
      )
    END,
    CASE
      WHEN "arr" IS NULL
      THEN CAST(NULL AS BIGINT[])
      ELSE ERROR('aws2bq-loss [arr]: cannot convert exactly: ' || CAST("arr" AS TEXT))
    END
  ) AS "arr",
  COALESCE(
    CASE
      WHEN STARTS_WITH((
        AWS2BQ_PG_ARRAY("txt", 'text', ',')
      ), '[')
      AND NOT STARTS_WITH((
        AWS2BQ_PG_ARRAY("txt", 'text', ',')
      ), '[[')
      THEN (
        TRY_CAST(CAST((
          AWS2BQ_PG_ARRAY("txt", 'text', ',')
        ) AS JSON) AS TEXT[])
      )
    END,
    CASE
      WHEN "txt" IS NULL
      THEN CAST(NULL AS TEXT[])
      ELSE ERROR('aws2bq-loss [txt]: cannot convert exactly: ' || CAST("txt" AS TEXT))
    END
  ) AS "txt",
  COALESCE(
    TRY_CAST((
      AWS2BQ_PG_ARRAY("dates", 'text', ',')
    ) AS JSON),
    CASE
      WHEN "dates" IS NULL
      THEN CAST(NULL AS JSON)
      ELSE ERROR('aws2bq-loss [dates]: cannot convert exactly: ' || CAST("dates" AS TEXT))
    END
  ) AS "dates",
  "e" AS "e",
  CAST('exp''1' AS TEXT) AS "_aws2bq_export_id",
  CAST('2024-01-01T00:00:00+00:00' AS TIMESTAMPTZ) AS "_aws2bq_exported_at"
FROM "stage"."main"."g1";

SELECT
  COUNT_IF("i__lost") AS "i__lost",
  MIN(CASE WHEN "i__lost" THEN "i__raw" END) AS "i__example",
  COUNT_IF("b__lost") AS "b__lost",
  MIN(CASE WHEN "b__lost" THEN "b__raw" END) AS "b__example",
  COUNT_IF("r__lost") AS "r__lost",
  MIN(CASE WHEN "r__lost" THEN "r__raw" END) AS "r__example",
  COUNT_IF("ok__lost") AS "ok__lost",
  MIN(CASE WHEN "ok__lost" THEN "ok__raw" END) AS "ok__example",
  COUNT_IF("raw__lost") AS "raw__lost",
  MIN(CASE WHEN "raw__lost" THEN "raw__raw" END) AS "raw__example",
  COUNT_IF("n2__lost") AS "n2__lost",
  MIN(CASE WHEN "n2__lost" THEN "n2__raw" END) AS "n2__example",
  COUNT_IF("dt__lost") AS "dt__lost",
  MIN(CASE WHEN "dt__lost" THEN "dt__raw" END) AS "dt__example",
  COUNT_IF("ts__lost") AS "ts__lost",
  MIN(CASE WHEN "ts__lost" THEN "ts__raw" END) AS "ts__example",
  COUNT_IF("tz__lost") AS "tz__lost",
  MIN(CASE WHEN "tz__lost" THEN "tz__raw" END) AS "tz__example",
  COUNT_IF("tm__lost") AS "tm__lost",
  MIN(CASE WHEN "tm__lost" THEN "tm__raw" END) AS "tm__example",
  COUNT_IF("iv__lost") AS "iv__lost",
  MIN(CASE WHEN "iv__lost" THEN "iv__raw" END) AS "iv__example",
  COUNT_IF("j__lost") AS "j__lost",
  MIN(CASE WHEN "j__lost" THEN "j__raw" END) AS "j__example",
  COUNT_IF("jb__lost") AS "jb__lost",
  MIN(CASE WHEN "jb__lost" THEN "jb__raw" END) AS "jb__example",
  COUNT_IF("arr__lost") AS "arr__lost",
  MIN(CASE WHEN "arr__lost" THEN "arr__raw" END) AS "arr__example",
  COUNT_IF("txt__lost") AS "txt__lost",
  MIN(CASE WHEN "txt__lost" THEN "txt__raw" END) AS "txt__example",
  COUNT_IF("dates__lost") AS "dates__lost",
  MIN(CASE WHEN "dates__lost" THEN "dates__raw" END) AS "dates__example"
FROM (
  SELECT
    NOT (
      NOT (
        CASE
          WHEN REGEXP_MATCHES("i", '^[+-]?[0-9]+$')
          THEN (
            TRY_CAST("i" AS BIGINT)
          )
        END IS NULL
      )
    )
    AND NOT (
      "i" IS NULL
    ) AS "i__lost",
    CAST("i" AS TEXT) AS "i__raw",
    NOT (
      NOT (
        CASE
          WHEN REGEXP_MATCHES("b", '^[+-]?[0-9]+$')
          THEN (
            TRY_CAST("b" AS BIGINT)
          )
        END IS NULL
      )
    )
    AND NOT (
      "b" IS NULL
    ) AS "b__lost",
    CAST("b" AS TEXT) AS "b__raw",
    NOT (
      NOT (
        CASE
          WHEN REGEXP_MATCHES(
            "r",
            '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$|^(NaN|[+-]?Infinity)$'
          )
          THEN (
            TRY_CAST("r" AS DOUBLE)
          )
        END IS NULL
      )
    )
    AND NOT (
      "r" IS NULL
    ) AS "r__lost",
    CAST("r" AS TEXT) AS "r__raw",
    NOT (
      NOT (
        CASE LOWER("ok")
          WHEN 't'
          THEN TRUE
          WHEN 'true'
          THEN TRUE
          WHEN 'f'
          THEN FALSE
          WHEN 'false'
          THEN FALSE
        END IS NULL
      )
    )
    AND NOT (
      "ok" IS NULL
    ) AS "ok__lost",
    CAST("ok" AS TEXT) AS "ok__raw",
    NOT (
      NOT (
        CASE
          WHEN REGEXP_MATCHES("raw", '^\\x([0-9a-fA-F]{2})*$')
          THEN FROM_HEX(SUBSTRING("raw", 3))
        END IS NULL
      )
    )
    AND NOT (
      "raw" IS NULL
    ) AS "raw__lost",
    CAST("raw" AS TEXT) AS "raw__raw",
    NOT (
      NOT (
        TRY_CAST("n2" AS DECIMAL(10, 3)) IS NULL
      )
    )
    AND NOT (
      "n2" IS NULL
    ) AS "n2__lost",
    CAST("n2" AS TEXT) AS "n2__raw",
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
          WHEN REGEXP_MATCHES(
            "ts",
            '^[0-9]{4,}-[0-9]{2}-[0-9]{2} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?( BC)?$'
          )
          THEN TRY(
            MAKE_DATE(
              CASE
                WHEN ENDS_WITH("ts", ' BC')
                THEN 1 - CAST(SPLIT_PART("ts", '-', 1) AS BIGINT)
                ELSE CAST(SPLIT_PART("ts", '-', 1) AS BIGINT)
              END,
              CAST(SPLIT_PART("ts", '-', 2) AS BIGINT),
              CAST(SUBSTRING(SPLIT_PART("ts", '-', 3), 1, 2) AS BIGINT)
            ) + CAST(SPLIT_PART("ts", ' ', 2) AS TIME)
          )
          WHEN "ts" = 'infinity'
          THEN CAST('infinity' AS TIMESTAMP)
          WHEN "ts" = '-infinity'
          THEN CAST('-infinity' AS TIMESTAMP)
        END IS NULL
      )
    )
    AND NOT (
      "ts" IS NULL
      OR REGEXP_MATCHES("ts", '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
    ) AS "ts__lost",
    CAST("ts" AS TEXT) AS "ts__raw",
    NOT (
      NOT (
        CASE
          WHEN REGEXP_MATCHES(
            "tz",
            '^[0-9]{4,}-[0-9]{2}-[0-9]{2} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?[+-][0-9]{2}(:[0-9]{2}){0,2}( BC)?$'
          )
          THEN TRY(
            TIMEZONE(
              'UTC',
              MAKE_DATE(
                CASE
                  WHEN ENDS_WITH("tz", ' BC')
                  THEN 1 - CAST(SPLIT_PART("tz", '-', 1) AS BIGINT)
                  ELSE CAST(SPLIT_PART("tz", '-', 1) AS BIGINT)
                END,
                CAST(SPLIT_PART("tz", '-', 2) AS BIGINT),
                CAST(SUBSTRING(SPLIT_PART("tz", '-', 3), 1, 2) AS BIGINT)
              ) + CAST(REGEXP_EXTRACT("tz", ' ([0-9:.]+)', 1) AS TIME) - TO_SECONDS(
                CAST(REGEXP_EXTRACT("tz", '([+-])[0-9]{2}(:[0-9]{2}){0,2}( BC)?$', 1) || '1' AS BIGINT) * (
                  CAST(REGEXP_EXTRACT("tz", '[+-]([0-9]{2})(:[0-9]{2}){0,2}( BC)?$', 1) AS BIGINT) * 3600 + COALESCE(
                    CAST(NULLIF(REGEXP_EXTRACT("tz", '[+-][0-9]{2}:([0-9]{2})(:[0-9]{2})?( BC)?$', 1), '') AS BIGINT),
                    0
                  ) * 60 + COALESCE(
                    CAST(NULLIF(REGEXP_EXTRACT("tz", '[+-][0-9]{2}:[0-9]{2}:([0-9]{2})( BC)?$', 1), '') AS BIGINT),
                    0
                  )
                )
              )
            )
          )
          WHEN "tz" = 'infinity'
          THEN CAST('infinity' AS TIMESTAMPTZ)
          WHEN "tz" = '-infinity'
          THEN CAST('-infinity' AS TIMESTAMPTZ)
        END IS NULL
      )
    )
    AND NOT (
      "tz" IS NULL
      OR REGEXP_MATCHES("tz", '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
    ) AS "tz__lost",
    CAST("tz" AS TEXT) AS "tz__raw",
    NOT (
      NOT (
        CASE
          WHEN REGEXP_MATCHES(
            "tm",
            '^(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00([.]0{1,6})?)$'
          )
          THEN TRY_CAST("tm" AS TIME)
        END IS NULL
      )
    )
    AND NOT (
      "tm" IS NULL
    ) AS "tm__lost",
    CAST("tm" AS TEXT) AS "tm__raw",
    NOT (
      NOT (
        CASE
          WHEN REGEXP_MATCHES(
            "iv",
            '^(-?[0-9]+ years? ?)?(-?[0-9]+ mons? ?)?(-?[0-9]+ days? ?)?([+-]?[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?)?$'
          )
          AND "iv" <> ''
          THEN TRY(
            TO_MONTHS(
              12 * COALESCE(CAST(NULLIF(REGEXP_EXTRACT("iv", '(-?[0-9]+) years?', 1), '') AS BIGINT), 0) + COALESCE(CAST(NULLIF(REGEXP_EXTRACT("iv", '(-?[0-9]+) mons?', 1), '') AS BIGINT), 0)
            ) + TO_DAYS(
              COALESCE(CAST(NULLIF(REGEXP_EXTRACT("iv", '(-?[0-9]+) days?', 1), '') AS BIGINT), 0)
            ) + CASE
              WHEN REGEXP_MATCHES("iv", '[0-9]:[0-9]{2}:[0-9]{2}([.][0-9]+)?$')
              THEN TRY_CAST(LTRIM(REGEXP_EXTRACT("iv", '([+-]?[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?)$', 1), '+') AS INTERVAL)
              ELSE INTERVAL '0' SECOND
            END
          )
        END IS NULL
      )
    )
    AND NOT (
      "iv" IS NULL
    ) AS "iv__lost",
    CAST("iv" AS TEXT) AS "iv__raw",
    NOT (
      NOT (
        TRY_CAST("j" AS JSON) IS NULL
      )
    ) AND NOT (
      "j" IS NULL
    ) AS "j__lost",
    CAST("j" AS TEXT) AS "j__raw",
    NOT (
      NOT (
        TRY_CAST("jb" AS JSON) IS NULL
      )
    ) AND NOT (
      "jb" IS NULL
    ) AS "jb__lost",
    CAST("jb" AS TEXT) AS "jb__raw",
    NOT (
      NOT (
        CASE
          WHEN STARTS_WITH((
            AWS2BQ_PG_ARRAY("arr", 'int', ',')
          ), '[')
          AND NOT STARTS_WITH((
            AWS2BQ_PG_ARRAY("arr", 'int', ',')
          ), '[[')
          THEN (
            TRY_CAST(CAST((
              AWS2BQ_PG_ARRAY("arr", 'int', ',')
            ) AS JSON) AS BIGINT[])
          )
        END IS NULL
      )
    )
    AND NOT (
      "arr" IS NULL
    ) AS "arr__lost",
    CAST("arr" AS TEXT) AS "arr__raw",
    NOT (
      NOT (
        CASE
          WHEN STARTS_WITH((
            AWS2BQ_PG_ARRAY("txt", 'text', ',')
          ), '[')
          AND NOT STARTS_WITH((
            AWS2BQ_PG_ARRAY("txt", 'text', ',')
          ), '[[')
          THEN (
            TRY_CAST(CAST((
              AWS2BQ_PG_ARRAY("txt", 'text', ',')
            ) AS JSON) AS TEXT[])
          )
        END IS NULL
      )
    )
    AND NOT (
      "txt" IS NULL
    ) AS "txt__lost",
    CAST("txt" AS TEXT) AS "txt__raw",
    NOT (
      NOT (
        TRY_CAST((
          AWS2BQ_PG_ARRAY("dates", 'text', ',')
        ) AS JSON) IS NULL
      )
    )
    AND NOT (
      "dates" IS NULL
    ) AS "dates__lost",
    CAST("dates" AS TEXT) AS "dates__raw"
  FROM "stage"."main"."g1"
) AS checked
