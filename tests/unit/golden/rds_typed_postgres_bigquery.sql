SELECT
  COALESCE(
    IF(REGEXP_CONTAINS(`i`, '^[+-]?[0-9]+$'), (
      SAFE_CAST(`i` AS INT64)
    ), NULL),
    CASE
      WHEN `i` IS NULL
      THEN CAST(NULL AS INT64)
      ELSE ERROR(CONCAT('aws2bq-loss [i]: cannot convert exactly: ', CAST(`i` AS STRING)))
    END
  ) AS `i`,
  COALESCE(
    IF(REGEXP_CONTAINS(`b`, '^[+-]?[0-9]+$'), (
      SAFE_CAST(`b` AS INT64)
    ), NULL),
    CASE
      WHEN `b` IS NULL
      THEN CAST(NULL AS INT64)
      ELSE ERROR(CONCAT('aws2bq-loss [b]: cannot convert exactly: ', CAST(`b` AS STRING)))
    END
  ) AS `b`,
  COALESCE(
    IF(
      REGEXP_CONTAINS(
        `r`,
        '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$|^(NaN|[+-]?Infinity)$'
      ),
      (
        SAFE_CAST(`r` AS FLOAT64)
      ),
      NULL
    ),
    CASE
      WHEN `r` IS NULL
      THEN CAST(NULL AS FLOAT64)
      ELSE ERROR(CONCAT('aws2bq-loss [r]: cannot convert exactly: ', CAST(`r` AS STRING)))
    END
  ) AS `r`,
  COALESCE(
    CASE LOWER(`ok`)
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
      WHEN `ok` IS NULL
      THEN CAST(NULL AS BOOL)
      ELSE ERROR(CONCAT('aws2bq-loss [ok]: cannot convert exactly: ', CAST(`ok` AS STRING)))
    END
  ) AS `ok`,
  COALESCE(
    IF(REGEXP_CONTAINS(`raw`, '^\\\\x([0-9a-fA-F]{2})*$'), FROM_HEX(SUBSTR(`raw`, 3)), NULL),
    CASE
      WHEN `raw` IS NULL
      THEN CAST(NULL AS BYTES)
      ELSE ERROR(CONCAT('aws2bq-loss [raw]: cannot convert exactly: ', CAST(`raw` AS STRING)))
    END
  ) AS `raw`,
  COALESCE(
    SAFE_CAST(`n` AS BIGNUMERIC),
    CASE
      WHEN `n` IS NULL
      THEN CAST(NULL AS BIGNUMERIC)
      ELSE ERROR(CONCAT('aws2bq-loss [n]: cannot convert exactly: ', CAST(`n` AS STRING)))
    END
  ) AS `n`,
  COALESCE(
    SAFE_CAST(`n2` AS NUMERIC),
    CASE
      WHEN `n2` IS NULL
      THEN CAST(NULL AS NUMERIC)
      ELSE ERROR(CONCAT('aws2bq-loss [n2]: cannot convert exactly: ', CAST(`n2` AS STRING)))
    END
  ) AS `n2`,
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
  COALESCE(
    IF(
      REGEXP_CONTAINS(
        `ts`,
        '^[0-9]{4,}-[0-9]{2}-[0-9]{2} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?$'
      ),
      SAFE_CAST(`ts` AS DATETIME),
      NULL
    ),
    CASE
      WHEN `ts` IS NULL
      OR REGEXP_CONTAINS(`ts`, '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
      THEN CAST(NULL AS DATETIME)
      ELSE ERROR(CONCAT('aws2bq-loss [ts]: cannot convert exactly: ', CAST(`ts` AS STRING)))
    END
  ) AS `ts`,
  COALESCE(
    IF(
      REGEXP_CONTAINS(
        `tz`,
        '^[0-9]{4,}-[0-9]{2}-[0-9]{2} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?[+-][0-9]{2}(:[0-9]{2})?$'
      ),
      SAFE_CAST(`tz` AS TIMESTAMP),
      NULL
    ),
    CASE
      WHEN `tz` IS NULL
      OR REGEXP_CONTAINS(`tz`, '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
      THEN CAST(NULL AS TIMESTAMP)
      ELSE ERROR(CONCAT('aws2bq-loss [tz]: cannot convert exactly: ', CAST(`tz` AS STRING)))
    END
  ) AS `tz`,
  COALESCE(
    IF(
      REGEXP_CONTAINS(`tm`, '^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?$'),
      SAFE_CAST(`tm` AS TIME),
      NULL
    ),
    CASE
      WHEN `tm` IS NULL
      THEN CAST(NULL AS TIME)
      ELSE ERROR(CONCAT('aws2bq-loss [tm]: cannot convert exactly: ', CAST(`tm` AS STRING)))
    END
  ) AS `tm`,
  COALESCE(
    IF(
      REGEXP_CONTAINS(
        `iv`,
        '^(-?[0-9]+ years? ?)?(-?[0-9]+ mons? ?)?(-?[0-9]+ days? ?)?([+-]?[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?)?$'
      )
      AND `iv` <> '',
      INTERVAL (
        12 * COALESCE(SAFE_CAST(REGEXP_EXTRACT(`iv`, '(-?[0-9]+) years?') AS INT64), 0) + COALESCE(SAFE_CAST(REGEXP_EXTRACT(`iv`, '(-?[0-9]+) mons?') AS INT64), 0)
      ) MONTH + INTERVAL (COALESCE(SAFE_CAST(REGEXP_EXTRACT(`iv`, '(-?[0-9]+) days?') AS INT64), 0)) DAY + INTERVAL (IF(REGEXP_CONTAINS(`iv`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
        SAFE_CAST(REGEXP_EXTRACT(`iv`, '([0-9]+):[0-9]{2}:[0-9]{2}(?:[.][0-9]+)?$') AS INT64),
        0
      )) HOUR + INTERVAL (IF(REGEXP_CONTAINS(`iv`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
        SAFE_CAST(REGEXP_EXTRACT(`iv`, '[0-9]+:([0-9]{2}):[0-9]{2}(?:[.][0-9]+)?$') AS INT64),
        0
      )) MINUTE + INTERVAL (IF(REGEXP_CONTAINS(`iv`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
        SAFE_CAST(REGEXP_EXTRACT(`iv`, '[0-9]+:[0-9]{2}:([0-9]{2})(?:[.][0-9]+)?$') AS INT64),
        0
      )) SECOND + INTERVAL (IF(REGEXP_CONTAINS(`iv`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
        SAFE_CAST(RPAD(REGEXP_EXTRACT(`iv`, ':[0-9]{2}[.]([0-9]{1,6})$'), 6, '0') AS INT64),
        0
      )) MICROSECOND,
      NULL
    ),
    CASE
      WHEN `iv` IS NULL
      THEN CAST(NULL AS INTERVAL)
      ELSE ERROR(CONCAT('aws2bq-loss [iv]: cannot convert exactly: ', CAST(`iv` AS STRING)))
    END
  ) AS `iv`,
  COALESCE(
    SAFE.PARSE_JSON(`j`),
    CASE
      WHEN `j` IS NULL
      THEN CAST(NULL AS JSON)
      ELSE ERROR(CONCAT('aws2bq-loss [j]: cannot convert exactly: ', CAST(`j` AS STRING)))
    END
  ) AS `j`,
  COALESCE(
    SAFE.PARSE_JSON(`jb`),
    CASE
      WHEN `jb` IS NULL
      THEN CAST(NULL AS JSON)
      ELSE ERROR(CONCAT('aws2bq-loss [jb]: cannot convert exactly: ', CAST(`jb` AS STRING)))
    END
  ) AS `jb`,
  `u` AS `u`,
  CASE
    WHEN NOT (
      IF(
        STARTS_WITH((
          aws2bq_pg_array(`arr`, 'int', ',')
        ), '[')
        AND NOT STARTS_WITH((
          aws2bq_pg_array(`arr`, 'int', ',')
        ), '[['),
        ARRAY(
          SELECT
            (
              SAFE_CAST(x AS INT64)
            )
          FROM UNNEST(JSON_VALUE_ARRAY(
            IF(
              STARTS_WITH((
                aws2bq_pg_array(`arr`, 'int', ',')
              ), '[')
              AND NOT STARTS_WITH((
                aws2bq_pg_array(`arr`, 'int', ',')
              ), '[['),
              (
                aws2bq_pg_array(`arr`, 'int', ',')
              ),
              '[]'
            ),
            '$'
          )) AS x WITH OFFSET AS o
          ORDER BY
            o
        ),
        NULL
      ) IS NULL
    )
    AND (
      SELECT
        COUNT(*)
      FROM UNNEST((
        IF(
          STARTS_WITH((
            aws2bq_pg_array(`arr`, 'int', ',')
          ), '[')
          AND NOT STARTS_WITH((
            aws2bq_pg_array(`arr`, 'int', ',')
          ), '[['),
          ARRAY(
            SELECT
              (
                SAFE_CAST(x AS INT64)
              )
            FROM UNNEST(JSON_VALUE_ARRAY(
              IF(
                STARTS_WITH((
                  aws2bq_pg_array(`arr`, 'int', ',')
                ), '[')
                AND NOT STARTS_WITH((
                  aws2bq_pg_array(`arr`, 'int', ',')
                ), '[['),
                (
                  aws2bq_pg_array(`arr`, 'int', ',')
                ),
                '[]'
              ),
              '$'
            )) AS x WITH OFFSET AS o
            ORDER BY
              o
          ),
          NULL
        )
      )) AS y
      WHERE
        y IS NULL
    ) = 0
    THEN IF(
      STARTS_WITH((
        aws2bq_pg_array(`arr`, 'int', ',')
      ), '[')
      AND NOT STARTS_WITH((
        aws2bq_pg_array(`arr`, 'int', ',')
      ), '[['),
      ARRAY(
        SELECT
          (
            SAFE_CAST(x AS INT64)
          )
        FROM UNNEST(JSON_VALUE_ARRAY(
          IF(
            STARTS_WITH((
              aws2bq_pg_array(`arr`, 'int', ',')
            ), '[')
            AND NOT STARTS_WITH((
              aws2bq_pg_array(`arr`, 'int', ',')
            ), '[['),
            (
              aws2bq_pg_array(`arr`, 'int', ',')
            ),
            '[]'
          ),
          '$'
        )) AS x WITH OFFSET AS o
        WHERE
          NOT (
            SAFE_CAST(x AS INT64)
          ) IS NULL
        ORDER BY
          o
      ),
      NULL
    )
    WHEN `arr` IS NULL
    THEN CAST(NULL AS ARRAY<INT64>)
    ELSE ERROR(CONCAT('aws2bq-loss [arr]: cannot convert exactly: ', CAST(`arr` AS STRING)))
  END AS `arr`,
  CASE
    WHEN NOT (
      IF(
        STARTS_WITH((
          aws2bq_pg_array(`txt`, 'text', ',')
        ), '[')
        AND NOT STARTS_WITH((
          aws2bq_pg_array(`txt`, 'text', ',')
        ), '[['),
        ARRAY(
          SELECT
            (
              SAFE_CAST(x AS STRING)
            )
          FROM UNNEST(JSON_VALUE_ARRAY(
            IF(
              STARTS_WITH((
                aws2bq_pg_array(`txt`, 'text', ',')
              ), '[')
              AND NOT STARTS_WITH((
                aws2bq_pg_array(`txt`, 'text', ',')
              ), '[['),
              (
                aws2bq_pg_array(`txt`, 'text', ',')
              ),
              '[]'
            ),
            '$'
          )) AS x WITH OFFSET AS o
          ORDER BY
            o
        ),
        NULL
      ) IS NULL
    )
    AND (
      SELECT
        COUNT(*)
      FROM UNNEST((
        IF(
          STARTS_WITH((
            aws2bq_pg_array(`txt`, 'text', ',')
          ), '[')
          AND NOT STARTS_WITH((
            aws2bq_pg_array(`txt`, 'text', ',')
          ), '[['),
          ARRAY(
            SELECT
              (
                SAFE_CAST(x AS STRING)
              )
            FROM UNNEST(JSON_VALUE_ARRAY(
              IF(
                STARTS_WITH((
                  aws2bq_pg_array(`txt`, 'text', ',')
                ), '[')
                AND NOT STARTS_WITH((
                  aws2bq_pg_array(`txt`, 'text', ',')
                ), '[['),
                (
                  aws2bq_pg_array(`txt`, 'text', ',')
                ),
                '[]'
              ),
              '$'
            )) AS x WITH OFFSET AS o
            ORDER BY
              o
          ),
          NULL
        )
      )) AS y
      WHERE
        y IS NULL
    ) = 0
    THEN IF(
      STARTS_WITH((
        aws2bq_pg_array(`txt`, 'text', ',')
      ), '[')
      AND NOT STARTS_WITH((
        aws2bq_pg_array(`txt`, 'text', ',')
      ), '[['),
      ARRAY(
        SELECT
          (
            SAFE_CAST(x AS STRING)
          )
        FROM UNNEST(JSON_VALUE_ARRAY(
          IF(
            STARTS_WITH((
              aws2bq_pg_array(`txt`, 'text', ',')
            ), '[')
            AND NOT STARTS_WITH((
              aws2bq_pg_array(`txt`, 'text', ',')
            ), '[['),
            (
              aws2bq_pg_array(`txt`, 'text', ',')
            ),
            '[]'
          ),
          '$'
        )) AS x WITH OFFSET AS o
        WHERE
          NOT (
            SAFE_CAST(x AS STRING)
          ) IS NULL
        ORDER BY
          o
      ),
      NULL
    )
    WHEN `txt` IS NULL
    THEN CAST(NULL AS ARRAY<STRING>)
    ELSE ERROR(CONCAT('aws2bq-loss [txt]: cannot convert exactly: ', CAST(`txt` AS STRING)))
  END AS `txt`,
  COALESCE(
    SAFE.PARSE_JSON((
      aws2bq_pg_array(`dates`, 'text', ',')
    )),
    CASE
      WHEN `dates` IS NULL
      THEN CAST(NULL AS JSON)
      ELSE ERROR(CONCAT('aws2bq-loss [dates]: cannot convert exactly: ', CAST(`dates` AS STRING)))
    END
  ) AS `dates`,
  `e` AS `e`,
  CAST('exp\'1' AS STRING) AS `_aws2bq_export_id`,
  CAST('2024-01-01T00:00:00+00:00' AS TIMESTAMP) AS `_aws2bq_exported_at`
FROM `stage`.`main`.`g1`;

SELECT
  COUNTIF(`i__lost`) AS `i__lost`,
  MIN(CASE WHEN `i__lost` THEN `i__raw` END) AS `i__example`,
  COUNTIF(`b__lost`) AS `b__lost`,
  MIN(CASE WHEN `b__lost` THEN `b__raw` END) AS `b__example`,
  COUNTIF(`r__lost`) AS `r__lost`,
  MIN(CASE WHEN `r__lost` THEN `r__raw` END) AS `r__example`,
  COUNTIF(`ok__lost`) AS `ok__lost`,
  MIN(CASE WHEN `ok__lost` THEN `ok__raw` END) AS `ok__example`,
  COUNTIF(`raw__lost`) AS `raw__lost`,
  MIN(CASE WHEN `raw__lost` THEN `raw__raw` END) AS `raw__example`,
  COUNTIF(`n__lost`) AS `n__lost`,
  MIN(CASE WHEN `n__lost` THEN `n__raw` END) AS `n__example`,
  COUNTIF(`n2__lost`) AS `n2__lost`,
  MIN(CASE WHEN `n2__lost` THEN `n2__raw` END) AS `n2__example`,
  COUNTIF(`dt__lost`) AS `dt__lost`,
  MIN(CASE WHEN `dt__lost` THEN `dt__raw` END) AS `dt__example`,
  COUNTIF(`ts__lost`) AS `ts__lost`,
  MIN(CASE WHEN `ts__lost` THEN `ts__raw` END) AS `ts__example`,
  COUNTIF(`tz__lost`) AS `tz__lost`,
  MIN(CASE WHEN `tz__lost` THEN `tz__raw` END) AS `tz__example`,
  COUNTIF(`tm__lost`) AS `tm__lost`,
  MIN(CASE WHEN `tm__lost` THEN `tm__raw` END) AS `tm__example`,
  COUNTIF(`iv__lost`) AS `iv__lost`,
  MIN(CASE WHEN `iv__lost` THEN `iv__raw` END) AS `iv__example`,
  COUNTIF(`j__lost`) AS `j__lost`,
  MIN(CASE WHEN `j__lost` THEN `j__raw` END) AS `j__example`,
  COUNTIF(`jb__lost`) AS `jb__lost`,
  MIN(CASE WHEN `jb__lost` THEN `jb__raw` END) AS `jb__example`,
  COUNTIF(`arr__lost`) AS `arr__lost`,
  MIN(CASE WHEN `arr__lost` THEN `arr__raw` END) AS `arr__example`,
  COUNTIF(`txt__lost`) AS `txt__lost`,
  MIN(CASE WHEN `txt__lost` THEN `txt__raw` END) AS `txt__example`,
  COUNTIF(`dates__lost`) AS `dates__lost`,
  MIN(CASE WHEN `dates__lost` THEN `dates__raw` END) AS `dates__example`
FROM (
  SELECT
    NOT (
      NOT (
        IF(REGEXP_CONTAINS(`i`, '^[+-]?[0-9]+$'), (
          SAFE_CAST(`i` AS INT64)
        ), NULL) IS NULL
      )
    )
    AND NOT (
      `i` IS NULL
    ) AS `i__lost`,
    CAST(`i` AS STRING) AS `i__raw`,
    NOT (
      NOT (
        IF(REGEXP_CONTAINS(`b`, '^[+-]?[0-9]+$'), (
          SAFE_CAST(`b` AS INT64)
        ), NULL) IS NULL
      )
    )
    AND NOT (
      `b` IS NULL
    ) AS `b__lost`,
    CAST(`b` AS STRING) AS `b__raw`,
    NOT (
      NOT (
        IF(
          REGEXP_CONTAINS(
            `r`,
            '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$|^(NaN|[+-]?Infinity)$'
          ),
          (
            SAFE_CAST(`r` AS FLOAT64)
          ),
          NULL
        ) IS NULL
      )
    )
    AND NOT (
      `r` IS NULL
    ) AS `r__lost`,
    CAST(`r` AS STRING) AS `r__raw`,
    NOT (
      NOT (
        CASE LOWER(`ok`)
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
      `ok` IS NULL
    ) AS `ok__lost`,
    CAST(`ok` AS STRING) AS `ok__raw`,
    NOT (
      NOT (
        IF(REGEXP_CONTAINS(`raw`, '^\\\\x([0-9a-fA-F]{2})*$'), FROM_HEX(SUBSTR(`raw`, 3)), NULL) IS NULL
      )
    )
    AND NOT (
      `raw` IS NULL
    ) AS `raw__lost`,
    CAST(`raw` AS STRING) AS `raw__raw`,
    NOT (
      NOT (
        SAFE_CAST(`n` AS BIGNUMERIC) IS NULL
      )
    )
    AND NOT (
      `n` IS NULL
    ) AS `n__lost`,
    CAST(`n` AS STRING) AS `n__raw`,
    NOT (
      NOT (
        SAFE_CAST(`n2` AS NUMERIC) IS NULL
      )
    )
    AND NOT (
      `n2` IS NULL
    ) AS `n2__lost`,
    CAST(`n2` AS STRING) AS `n2__raw`,
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
          REGEXP_CONTAINS(
            `ts`,
            '^[0-9]{4,}-[0-9]{2}-[0-9]{2} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?$'
          ),
          SAFE_CAST(`ts` AS DATETIME),
          NULL
        ) IS NULL
      )
    )
    AND NOT (
      `ts` IS NULL
      OR REGEXP_CONTAINS(`ts`, '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
    ) AS `ts__lost`,
    CAST(`ts` AS STRING) AS `ts__raw`,
    NOT (
      NOT (
        IF(
          REGEXP_CONTAINS(
            `tz`,
            '^[0-9]{4,}-[0-9]{2}-[0-9]{2} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?[+-][0-9]{2}(:[0-9]{2})?$'
          ),
          SAFE_CAST(`tz` AS TIMESTAMP),
          NULL
        ) IS NULL
      )
    )
    AND NOT (
      `tz` IS NULL
      OR REGEXP_CONTAINS(`tz`, '^0000-|^[0-9]{4}-00-|^[0-9]{4}-[0-9]{2}-00')
    ) AS `tz__lost`,
    CAST(`tz` AS STRING) AS `tz__raw`,
    NOT (
      NOT (
        IF(
          REGEXP_CONTAINS(`tm`, '^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?$'),
          SAFE_CAST(`tm` AS TIME),
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
        IF(
          REGEXP_CONTAINS(
            `iv`,
            '^(-?[0-9]+ years? ?)?(-?[0-9]+ mons? ?)?(-?[0-9]+ days? ?)?([+-]?[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?)?$'
          )
          AND `iv` <> '',
          INTERVAL (
            12 * COALESCE(SAFE_CAST(REGEXP_EXTRACT(`iv`, '(-?[0-9]+) years?') AS INT64), 0) + COALESCE(SAFE_CAST(REGEXP_EXTRACT(`iv`, '(-?[0-9]+) mons?') AS INT64), 0)
          ) MONTH + INTERVAL (COALESCE(SAFE_CAST(REGEXP_EXTRACT(`iv`, '(-?[0-9]+) days?') AS INT64), 0)) DAY + INTERVAL (IF(REGEXP_CONTAINS(`iv`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
            SAFE_CAST(REGEXP_EXTRACT(`iv`, '([0-9]+):[0-9]{2}:[0-9]{2}(?:[.][0-9]+)?$') AS INT64),
            0
          )) HOUR + INTERVAL (IF(REGEXP_CONTAINS(`iv`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
            SAFE_CAST(REGEXP_EXTRACT(`iv`, '[0-9]+:([0-9]{2}):[0-9]{2}(?:[.][0-9]+)?$') AS INT64),
            0
          )) MINUTE + INTERVAL (IF(REGEXP_CONTAINS(`iv`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
            SAFE_CAST(REGEXP_EXTRACT(`iv`, '[0-9]+:[0-9]{2}:([0-9]{2})(?:[.][0-9]+)?$') AS INT64),
            0
          )) SECOND + INTERVAL (IF(REGEXP_CONTAINS(`iv`, '-[0-9]+:[0-9]{2}:[0-9]{2}([.][0-9]+)?$'), -1, 1) * COALESCE(
            SAFE_CAST(RPAD(REGEXP_EXTRACT(`iv`, ':[0-9]{2}[.]([0-9]{1,6})$'), 6, '0') AS INT64),
            0
          )) MICROSECOND,
          NULL
        ) IS NULL
      )
    )
    AND NOT (
      `iv` IS NULL
    ) AS `iv__lost`,
    CAST(`iv` AS STRING) AS `iv__raw`,
    NOT (
      NOT (
        SAFE.PARSE_JSON(`j`) IS NULL
      )
    ) AND NOT (
      `j` IS NULL
    ) AS `j__lost`,
    CAST(`j` AS STRING) AS `j__raw`,
    NOT (
      NOT (
        SAFE.PARSE_JSON(`jb`) IS NULL
      )
    ) AND NOT (
      `jb` IS NULL
    ) AS `jb__lost`,
    CAST(`jb` AS STRING) AS `jb__raw`,
    NOT (
      NOT (
        IF(
          STARTS_WITH((
            aws2bq_pg_array(`arr`, 'int', ',')
          ), '[')
          AND NOT STARTS_WITH((
            aws2bq_pg_array(`arr`, 'int', ',')
          ), '[['),
          ARRAY(
            SELECT
              (
                SAFE_CAST(x AS INT64)
              )
            FROM UNNEST(JSON_VALUE_ARRAY(
              IF(
                STARTS_WITH((
                  aws2bq_pg_array(`arr`, 'int', ',')
                ), '[')
                AND NOT STARTS_WITH((
                  aws2bq_pg_array(`arr`, 'int', ',')
                ), '[['),
                (
                  aws2bq_pg_array(`arr`, 'int', ',')
                ),
                '[]'
              ),
              '$'
            )) AS x WITH OFFSET AS o
            ORDER BY
              o
          ),
          NULL
        ) IS NULL
      )
      AND (
        SELECT
          COUNT(*)
        FROM UNNEST((
          IF(
            STARTS_WITH((
              aws2bq_pg_array(`arr`, 'int', ',')
            ), '[')
            AND NOT STARTS_WITH((
              aws2bq_pg_array(`arr`, 'int', ',')
            ), '[['),
            ARRAY(
              SELECT
                (
                  SAFE_CAST(x AS INT64)
                )
              FROM UNNEST(JSON_VALUE_ARRAY(
                IF(
                  STARTS_WITH((
                    aws2bq_pg_array(`arr`, 'int', ',')
                  ), '[')
                  AND NOT STARTS_WITH((
                    aws2bq_pg_array(`arr`, 'int', ',')
                  ), '[['),
                  (
                    aws2bq_pg_array(`arr`, 'int', ',')
                  ),
                  '[]'
                ),
                '$'
              )) AS x WITH OFFSET AS o
              ORDER BY
                o
            ),
            NULL
          )
        )) AS y
        WHERE
          y IS NULL
      ) = 0
    )
    AND NOT (
      `arr` IS NULL
    ) AS `arr__lost`,
    CAST(`arr` AS STRING) AS `arr__raw`,
    NOT (
      NOT (
        IF(
          STARTS_WITH((
            aws2bq_pg_array(`txt`, 'text', ',')
          ), '[')
          AND NOT STARTS_WITH((
            aws2bq_pg_array(`txt`, 'text', ',')
          ), '[['),
          ARRAY(
            SELECT
              (
                SAFE_CAST(x AS STRING)
              )
            FROM UNNEST(JSON_VALUE_ARRAY(
              IF(
                STARTS_WITH((
                  aws2bq_pg_array(`txt`, 'text', ',')
                ), '[')
                AND NOT STARTS_WITH((
                  aws2bq_pg_array(`txt`, 'text', ',')
                ), '[['),
                (
                  aws2bq_pg_array(`txt`, 'text', ',')
                ),
                '[]'
              ),
              '$'
            )) AS x WITH OFFSET AS o
            ORDER BY
              o
          ),
          NULL
        ) IS NULL
      )
      AND (
        SELECT
          COUNT(*)
        FROM UNNEST((
          IF(
            STARTS_WITH((
              aws2bq_pg_array(`txt`, 'text', ',')
            ), '[')
            AND NOT STARTS_WITH((
              aws2bq_pg_array(`txt`, 'text', ',')
            ), '[['),
            ARRAY(
              SELECT
                (
                  SAFE_CAST(x AS STRING)
                )
              FROM UNNEST(JSON_VALUE_ARRAY(
                IF(
                  STARTS_WITH((
                    aws2bq_pg_array(`txt`, 'text', ',')
                  ), '[')
                  AND NOT STARTS_WITH((
                    aws2bq_pg_array(`txt`, 'text', ',')
                  ), '[['),
                  (
                    aws2bq_pg_array(`txt`, 'text', ',')
                  ),
                  '[]'
                ),
                '$'
              )) AS x WITH OFFSET AS o
              ORDER BY
                o
            ),
            NULL
          )
        )) AS y
        WHERE
          y IS NULL
      ) = 0
    )
    AND NOT (
      `txt` IS NULL
    ) AS `txt__lost`,
    CAST(`txt` AS STRING) AS `txt__raw`,
    NOT (
      NOT (
        SAFE.PARSE_JSON((
          aws2bq_pg_array(`dates`, 'text', ',')
        )) IS NULL
      )
    )
    AND NOT (
      `dates` IS NULL
    ) AS `dates__lost`,
    CAST(`dates` AS STRING) AS `dates__raw`
  FROM `stage`.`main`.`g1`
) AS checked
