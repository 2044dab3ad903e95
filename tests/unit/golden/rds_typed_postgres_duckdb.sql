SELECT
  COALESCE(
    TRY_CAST("i" AS BIGINT),
    CASE
      WHEN "i" IS NULL
      THEN CAST(NULL AS BIGINT)
      ELSE ERROR('aws2bq-loss [i]: cannot convert exactly: ' || CAST("i" AS TEXT))
    END
  ) AS "i",
  COALESCE(
    TRY_CAST("b" AS BIGINT),
    CASE
      WHEN "b" IS NULL
      THEN CAST(NULL AS BIGINT)
      ELSE ERROR('aws2bq-loss [b]: cannot convert exactly: ' || CAST("b" AS TEXT))
    END
  ) AS "b",
  COALESCE(
    TRY_CAST("r" AS DOUBLE),
    CASE
      WHEN "r" IS NULL
      THEN CAST(NULL AS DOUBLE)
      ELSE ERROR('aws2bq-loss [r]: cannot convert exactly: ' || CAST("r" AS TEXT))
    END
  ) AS "r",
  COALESCE(
    TRY_CAST("ok" AS BOOLEAN),
    CASE
      WHEN "ok" IS NULL
      THEN CAST(NULL AS BOOLEAN)
      ELSE ERROR('aws2bq-loss [ok]: cannot convert exactly: ' || CAST("ok" AS TEXT))
    END
  ) AS "ok",
  COALESCE(
    CASE WHEN STARTS_WITH("raw", '\x') THEN TRY(FROM_HEX(SUBSTRING("raw", 3))) END,
    CASE
      WHEN "raw" IS NULL
      THEN CAST(NULL AS BLOB)
      ELSE ERROR('aws2bq-loss [raw]: cannot convert exactly: ' || CAST("raw" AS TEXT))
    END
  ) AS "raw",
  "n" AS "n",
  COALESCE(
    TRY_CAST("n2" AS DECIMAL(10, 3)),
    CASE
      WHEN "n2" IS NULL
      THEN CAST(NULL AS DECIMAL(10, 3))
      ELSE ERROR('aws2bq-loss [n2]: cannot convert exactly: ' || CAST("n2" AS TEXT))
    END
  ) AS "n2",
  COALESCE(
    TRY_CAST("dt" AS DATE),
    CASE
      WHEN "dt" IS NULL
      OR REGEXP_MATCHES("dt", '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
      THEN CAST(NULL AS DATE)
      ELSE ERROR('aws2bq-loss [dt]: cannot convert exactly: ' || CAST("dt" AS TEXT))
    END
  ) AS "dt",
  COALESCE(
    TRY_CAST("ts" AS TIMESTAMP),
    CASE
      WHEN "ts" IS NULL
      OR REGEXP_MATCHES("ts", '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
      THEN CAST(NULL AS TIMESTAMP)
      ELSE ERROR('aws2bq-loss [ts]: cannot convert exactly: ' || CAST("ts" AS TEXT))
    END
  ) AS "ts",
  COALESCE(
    TRY_CAST("tz" AS TIMESTAMPTZ),
    CASE
      WHEN "tz" IS NULL
      OR REGEXP_MATCHES("tz", '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
      THEN CAST(NULL AS TIMESTAMPTZ)
      ELSE ERROR('aws2bq-loss [tz]: cannot convert exactly: ' || CAST("tz" AS TEXT))
    END
  ) AS "tz",
  COALESCE(
    TRY_CAST("tm" AS TIME),
    CASE
      WHEN "tm" IS NULL
      THEN CAST(NULL AS TIME)
      ELSE ERROR('aws2bq-loss [tm]: cannot convert exactly: ' || CAST("tm" AS TEXT))
    END
  ) AS "tm",
  COALESCE(
    TRY_CAST("iv" AS INTERVAL),
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
      WHEN STARTS_WITH("arr", '{') AND NOT STARTS_WITH("arr", '{{')
      THEN (
        TRY_CAST('[' || SUBSTRING("arr", 2, LENGTH("arr") - 2) || ']' AS BIGINT[])
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
      WHEN STARTS_WITH("txt", '{') AND NOT STARTS_WITH("txt", '{{')
      THEN (
        TRY_CAST('[' || SUBSTRING("txt", 2, LENGTH("txt") - 2) || ']' AS TEXT[])
      )
    END,
    CASE
      WHEN "txt" IS NULL
      THEN CAST(NULL AS TEXT[])
      ELSE ERROR('aws2bq-loss [txt]: cannot convert exactly: ' || CAST("txt" AS TEXT))
    END
  ) AS "txt",
  COALESCE(
    CASE
      WHEN STARTS_WITH("dates", '{') AND NOT STARTS_WITH("dates", '{{')
      THEN CAST(TO_JSON(
        (
          TRY_CAST('[' || SUBSTRING("dates", 2, LENGTH("dates") - 2) || ']' AS TEXT[])
        )
      ) AS JSON)
    END,
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
    TRY_CAST("i" AS BIGINT) IS NULL AND NOT (
      "i" IS NULL
    ) AS "i__lost",
    CAST("i" AS TEXT) AS "i__raw",
    TRY_CAST("b" AS BIGINT) IS NULL AND NOT (
      "b" IS NULL
    ) AS "b__lost",
    CAST("b" AS TEXT) AS "b__raw",
    TRY_CAST("r" AS DOUBLE) IS NULL AND NOT (
      "r" IS NULL
    ) AS "r__lost",
    CAST("r" AS TEXT) AS "r__raw",
    TRY_CAST("ok" AS BOOLEAN) IS NULL AND NOT (
      "ok" IS NULL
    ) AS "ok__lost",
    CAST("ok" AS TEXT) AS "ok__raw",
    CASE WHEN STARTS_WITH("raw", '\x') THEN TRY(FROM_HEX(SUBSTRING("raw", 3))) END IS NULL
    AND NOT (
      "raw" IS NULL
    ) AS "raw__lost",
    CAST("raw" AS TEXT) AS "raw__raw",
    TRY_CAST("n2" AS DECIMAL(10, 3)) IS NULL AND NOT (
      "n2" IS NULL
    ) AS "n2__lost",
    CAST("n2" AS TEXT) AS "n2__raw",
    TRY_CAST("dt" AS DATE) IS NULL
    AND NOT (
      "dt" IS NULL
      OR REGEXP_MATCHES("dt", '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
    ) AS "dt__lost",
    CAST("dt" AS TEXT) AS "dt__raw",
    TRY_CAST("ts" AS TIMESTAMP) IS NULL
    AND NOT (
      "ts" IS NULL
      OR REGEXP_MATCHES("ts", '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
    ) AS "ts__lost",
    CAST("ts" AS TEXT) AS "ts__raw",
    TRY_CAST("tz" AS TIMESTAMPTZ) IS NULL
    AND NOT (
      "tz" IS NULL
      OR REGEXP_MATCHES("tz", '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
    ) AS "tz__lost",
    CAST("tz" AS TEXT) AS "tz__raw",
    TRY_CAST("tm" AS TIME) IS NULL AND NOT (
      "tm" IS NULL
    ) AS "tm__lost",
    CAST("tm" AS TEXT) AS "tm__raw",
    TRY_CAST("iv" AS INTERVAL) IS NULL AND NOT (
      "iv" IS NULL
    ) AS "iv__lost",
    CAST("iv" AS TEXT) AS "iv__raw",
    TRY_CAST("j" AS JSON) IS NULL AND NOT (
      "j" IS NULL
    ) AS "j__lost",
    CAST("j" AS TEXT) AS "j__raw",
    TRY_CAST("jb" AS JSON) IS NULL AND NOT (
      "jb" IS NULL
    ) AS "jb__lost",
    CAST("jb" AS TEXT) AS "jb__raw",
    CASE
      WHEN STARTS_WITH("arr", '{') AND NOT STARTS_WITH("arr", '{{')
      THEN (
        TRY_CAST('[' || SUBSTRING("arr", 2, LENGTH("arr") - 2) || ']' AS BIGINT[])
      )
    END IS NULL
    AND NOT (
      "arr" IS NULL
    ) AS "arr__lost",
    CAST("arr" AS TEXT) AS "arr__raw",
    CASE
      WHEN STARTS_WITH("txt", '{') AND NOT STARTS_WITH("txt", '{{')
      THEN (
        TRY_CAST('[' || SUBSTRING("txt", 2, LENGTH("txt") - 2) || ']' AS TEXT[])
      )
    END IS NULL
    AND NOT (
      "txt" IS NULL
    ) AS "txt__lost",
    CAST("txt" AS TEXT) AS "txt__raw",
    CASE
      WHEN STARTS_WITH("dates", '{') AND NOT STARTS_WITH("dates", '{{')
      THEN CAST(TO_JSON(
        (
          TRY_CAST('[' || SUBSTRING("dates", 2, LENGTH("dates") - 2) || ']' AS TEXT[])
        )
      ) AS JSON)
    END IS NULL
    AND NOT (
      "dates" IS NULL
    ) AS "dates__lost",
    CAST("dates" AS TEXT) AS "dates__raw"
  FROM "stage"."main"."g1"
) AS checked
