WITH entries AS (
  SELECT
    k,
    v,
    REGEXP_EXTRACT(
      (
        v
      )."N",
      '^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$',
      ['sign', 'i', 'f', 'e']
    ) AS np
  FROM (
    SELECT
      e.key AS k,
      e.value AS v
    FROM (
      SELECT
        UNNEST(MAP_ENTRIES("Item")) AS e
      FROM "stage"."main"."items"
    )
  )
), set_elements AS (
  SELECT
    k,
    x,
    REGEXP_EXTRACT(x, '^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$', ['sign', 'i', 'f', 'e']) AS np
  FROM (
    SELECT
      k,
      UNNEST((
        v
      ).NS) AS x
    FROM entries
    WHERE
      NOT (
        v
      ).NS IS NULL
  )
), per_attribute AS (
  SELECT
    "k" AS "attribute",
    COUNT((
      "v"
    )."S") AS "count_S",
    COUNT((
      "v"
    )."N") AS "count_N",
    COUNT((
      "v"
    )."B") AS "count_B",
    COUNT((
      "v"
    )."BOOL") AS "count_BOOL",
    COUNT((
      "v"
    )."NULL") AS "count_NULL",
    COUNT((
      "v"
    )."M") AS "count_M",
    COUNT((
      "v"
    )."L") AS "count_L",
    COUNT((
      "v"
    )."SS") AS "count_SS",
    COUNT((
      "v"
    )."NS") AS "count_NS",
    COUNT((
      "v"
    )."BS") AS "count_BS",
    COUNT((
      "v"
    )."N") AS "n_count",
    MAX(
      CASE
        WHEN LTRIM((
          LTRIM((
            np
          ).i, '0') || RTRIM(COALESCE((
            np
          ).f, ''), '0')
        ), '0') = ''
        THEN 0
        ELSE GREATEST(
          (
            LENGTH(LTRIM((
              np
            ).i, '0')) + COALESCE(TRY_CAST(NULLIF((
              np
            ).e, '') AS INT), 0)
          ) - (
            LENGTH((
              LTRIM((
                np
              ).i, '0') || RTRIM(COALESCE((
                np
              ).f, ''), '0')
            )) - LENGTH(
              LTRIM((
                LTRIM((
                  np
                ).i, '0') || RTRIM(COALESCE((
                  np
                ).f, ''), '0')
              ), '0')
            )
          ),
          0
        )
      END
    ) AS "n_int_digits",
    MAX(
      CASE
        WHEN LTRIM((
          LTRIM((
            np
          ).i, '0') || RTRIM(COALESCE((
            np
          ).f, ''), '0')
        ), '0') = ''
        THEN 0
        ELSE GREATEST(
          LENGTH(
            RTRIM((
              LTRIM((
                np
              ).i, '0') || RTRIM(COALESCE((
                np
              ).f, ''), '0')
            ), '0')
          ) - (
            LENGTH(LTRIM((
              np
            ).i, '0')) + COALESCE(TRY_CAST(NULLIF((
              np
            ).e, '') AS INT), 0)
          ),
          0
        )
      END
    ) AS "n_scale",
    BOOL_AND(
      CAST(CASE
        WHEN (
          "v"
        )."N" IS NULL
        THEN NULL
        WHEN CASE
          WHEN LTRIM((
            LTRIM((
              np
            ).i, '0') || RTRIM(COALESCE((
              np
            ).f, ''), '0')
          ), '0') = ''
          THEN 0
          ELSE GREATEST(
            LENGTH(
              RTRIM((
                LTRIM((
                  np
                ).i, '0') || RTRIM(COALESCE((
                  np
                ).f, ''), '0')
              ), '0')
            ) - (
              LENGTH(LTRIM((
                np
              ).i, '0')) + COALESCE(TRY_CAST(NULLIF((
                np
              ).e, '') AS INT), 0)
            ),
            0
          )
        END = 0
        AND CASE
          WHEN LTRIM((
            LTRIM((
              np
            ).i, '0') || RTRIM(COALESCE((
              np
            ).f, ''), '0')
          ), '0') = ''
          THEN 0
          ELSE GREATEST(
            (
              LENGTH(LTRIM((
                np
              ).i, '0')) + COALESCE(TRY_CAST(NULLIF((
                np
              ).e, '') AS INT), 0)
            ) - (
              LENGTH((
                LTRIM((
                  np
                ).i, '0') || RTRIM(COALESCE((
                  np
                ).f, ''), '0')
              )) - LENGTH(
                LTRIM((
                  LTRIM((
                    np
                  ).i, '0') || RTRIM(COALESCE((
                    np
                  ).f, ''), '0')
                ), '0')
              )
            ),
            0
          )
        END <= 19
        THEN COALESCE(
          TRY_CAST(CASE
            WHEN CONTAINS((
              "v"
            )."N", 'e') OR CONTAINS((
              "v"
            )."N", 'E')
            THEN CASE
              WHEN REGEXP_MATCHES((
                (
                  "v"
                )."N"
              ), '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$')
              THEN LIST_TRANSFORM(
                [
                  REGEXP_EXTRACT(
                    (
                      (
                        "v"
                      )."N"
                    ),
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
              ELSE (
                (
                  "v"
                )."N"
              )
            END
            ELSE (
              "v"
            )."N"
          END AS DECIMAL(38, 0)) BETWEEN (
            -9223372036854775808
          ) AND 9223372036854775807,
          FALSE
        )
        ELSE FALSE
      END AS BOOLEAN)
    ) AS "n_all_int64"
  FROM entries
  GROUP BY
    "k"
), per_set AS (
  SELECT
    "k" AS "attribute",
    COUNT("x") AS "ns_count",
    MAX(
      CASE
        WHEN LTRIM((
          LTRIM((
            np
          ).i, '0') || RTRIM(COALESCE((
            np
          ).f, ''), '0')
        ), '0') = ''
        THEN 0
        ELSE GREATEST(
          (
            LENGTH(LTRIM((
              np
            ).i, '0')) + COALESCE(TRY_CAST(NULLIF((
              np
            ).e, '') AS INT), 0)
          ) - (
            LENGTH((
              LTRIM((
                np
              ).i, '0') || RTRIM(COALESCE((
                np
              ).f, ''), '0')
            )) - LENGTH(
              LTRIM((
                LTRIM((
                  np
                ).i, '0') || RTRIM(COALESCE((
                  np
                ).f, ''), '0')
              ), '0')
            )
          ),
          0
        )
      END
    ) AS "ns_int_digits",
    MAX(
      CASE
        WHEN LTRIM((
          LTRIM((
            np
          ).i, '0') || RTRIM(COALESCE((
            np
          ).f, ''), '0')
        ), '0') = ''
        THEN 0
        ELSE GREATEST(
          LENGTH(
            RTRIM((
              LTRIM((
                np
              ).i, '0') || RTRIM(COALESCE((
                np
              ).f, ''), '0')
            ), '0')
          ) - (
            LENGTH(LTRIM((
              np
            ).i, '0')) + COALESCE(TRY_CAST(NULLIF((
              np
            ).e, '') AS INT), 0)
          ),
          0
        )
      END
    ) AS "ns_scale",
    BOOL_AND(
      CAST(CASE
        WHEN "x" IS NULL
        THEN NULL
        WHEN CASE
          WHEN LTRIM((
            LTRIM((
              np
            ).i, '0') || RTRIM(COALESCE((
              np
            ).f, ''), '0')
          ), '0') = ''
          THEN 0
          ELSE GREATEST(
            LENGTH(
              RTRIM((
                LTRIM((
                  np
                ).i, '0') || RTRIM(COALESCE((
                  np
                ).f, ''), '0')
              ), '0')
            ) - (
              LENGTH(LTRIM((
                np
              ).i, '0')) + COALESCE(TRY_CAST(NULLIF((
                np
              ).e, '') AS INT), 0)
            ),
            0
          )
        END = 0
        AND CASE
          WHEN LTRIM((
            LTRIM((
              np
            ).i, '0') || RTRIM(COALESCE((
              np
            ).f, ''), '0')
          ), '0') = ''
          THEN 0
          ELSE GREATEST(
            (
              LENGTH(LTRIM((
                np
              ).i, '0')) + COALESCE(TRY_CAST(NULLIF((
                np
              ).e, '') AS INT), 0)
            ) - (
              LENGTH((
                LTRIM((
                  np
                ).i, '0') || RTRIM(COALESCE((
                  np
                ).f, ''), '0')
              )) - LENGTH(
                LTRIM((
                  LTRIM((
                    np
                  ).i, '0') || RTRIM(COALESCE((
                    np
                  ).f, ''), '0')
                ), '0')
              )
            ),
            0
          )
        END <= 19
        THEN COALESCE(
          TRY_CAST(CASE
            WHEN CONTAINS("x", 'e') OR CONTAINS("x", 'E')
            THEN CASE
              WHEN REGEXP_MATCHES("x", '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$')
              THEN LIST_TRANSFORM(
                [
                  REGEXP_EXTRACT("x", '^([+-]?)([0-9]*)(?:[.]([0-9]*))?(?:[eE]([+-]?[0-9]+))?$', ['n', 'i', 'f', 'e'])
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
              ELSE "x"
            END
            ELSE "x"
          END AS DECIMAL(38, 0)) BETWEEN (
            -9223372036854775808
          ) AND 9223372036854775807,
          FALSE
        )
        ELSE FALSE
      END AS BOOLEAN)
    ) AS "ns_all_int64"
  FROM set_elements
  GROUP BY
    "k"
)
SELECT
  "a"."attribute",
  "a"."count_S",
  "a"."count_N",
  "a"."count_B",
  "a"."count_BOOL",
  "a"."count_NULL",
  "a"."count_M",
  "a"."count_L",
  "a"."count_SS",
  "a"."count_NS",
  "a"."count_BS",
  "a"."n_count",
  "a"."n_int_digits",
  "a"."n_scale",
  "a"."n_all_int64",
  "s"."ns_count",
  "s"."ns_int_digits",
  "s"."ns_scale",
  "s"."ns_all_int64"
FROM per_attribute AS "a"
LEFT JOIN per_set AS "s"
  ON "a"."attribute" = "s"."attribute"
ORDER BY
  "a"."attribute"
