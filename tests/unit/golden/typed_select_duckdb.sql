SELECT
  (
    "Item"['pk']
  )."S" AS "pk",
  LIST_SORT(LIST_TRANSFORM((
    "Item"['b']
  ).BS, x -> FROM_BASE64(x))) AS "b",
  CAST(CASE
    WHEN CONTAINS((
      "Item"['d']
    )."N", 'e') OR CONTAINS((
      "Item"['d']
    )."N", 'E')
    THEN CASE
      WHEN REGEXP_MATCHES(
        (
          (
            "Item"['d']
          )."N"
        ),
        '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$'
      )
      THEN LIST_TRANSFORM(
        [
          REGEXP_EXTRACT(
            (
              (
                "Item"['d']
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
          "Item"['d']
        )."N"
      )
    END
    ELSE (
      "Item"['d']
    )."N"
  END AS DECIMAL(38, 9)) AS "d",
  CASE
    WHEN (
      "Item"['m']
    )."NULL"
    THEN NULL
    ELSE CAST(CASE
      WHEN NOT (
        "Item"['m']
      ).S IS NULL
      THEN CAST(TO_JSON((
        "Item"['m']
      ).S) AS TEXT)
      WHEN NOT (
        "Item"['m']
      ).N IS NULL
      THEN CASE
        WHEN REGEXP_MATCHES(
          (
            (
              "Item"['m']
            )."N"
          ),
          '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$'
        )
        THEN LIST_TRANSFORM(
          [
            REGEXP_EXTRACT(
              (
                (
                  "Item"['m']
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
            "Item"['m']
          )."N"
        )
      END
      WHEN NOT (
        "Item"['m']
      ).B IS NULL
      THEN CAST(TO_JSON((
        "Item"['m']
      ).B) AS TEXT)
      WHEN NOT (
        "Item"['m']
      ).BOOL IS NULL
      THEN CASE WHEN (
        "Item"['m']
      ).BOOL THEN 'true' ELSE 'false' END
      WHEN (
        "Item"['m']
      )."NULL"
      THEN 'null'
      WHEN NOT (
        "Item"['m']
      ).SS IS NULL
      THEN CAST(TO_JSON((
        "Item"['m']
      ).SS) AS TEXT)
      WHEN NOT (
        "Item"['m']
      ).NS IS NULL
      THEN '[' || ARRAY_TO_STRING(
        LIST_TRANSFORM(
          (
            "Item"['m']
          )."NS",
          _aws2bq_n -> CASE
            WHEN REGEXP_MATCHES(_aws2bq_n, '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$')
            THEN LIST_TRANSFORM(
              [
                REGEXP_EXTRACT(
                  _aws2bq_n,
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
            ELSE _aws2bq_n
          END
        ),
        ','
      ) || ']'
      WHEN NOT (
        "Item"['m']
      ).BS IS NULL
      THEN CAST(TO_JSON((
        "Item"['m']
      ).BS) AS TEXT)
      WHEN NOT (
        "Item"['m']
      ).M IS NULL
      THEN (
        '{' || ARRAY_TO_STRING(
          LIST_TRANSFORM(
            MAP_ENTRIES(
              JSON_TRANSFORM(
                (
                  "Item"['m']
                )."M",
                '"MAP(VARCHAR, STRUCT(S VARCHAR, N VARCHAR, B VARCHAR, BOOL BOOLEAN, \"NULL\" BOOLEAN, M JSON, L JSON, SS VARCHAR[], NS VARCHAR[], BS VARCHAR[]))"'
              )
            ),
            e0 -> CAST(TO_JSON((
              e0
            ).key) AS TEXT) || ':' || CASE
              WHEN NOT (
                (
                  (
                    e0
                  ).value
                )
              ).S IS NULL
              THEN CAST(TO_JSON((
                (
                  (
                    e0
                  ).value
                )
              ).S) AS TEXT)
              WHEN NOT (
                (
                  (
                    e0
                  ).value
                )
              ).N IS NULL
              THEN (
                (
                  e0
                ).value
              )."N"
              WHEN NOT (
                (
                  (
                    e0
                  ).value
                )
              ).B IS NULL
              THEN CAST(TO_JSON((
                (
                  (
                    e0
                  ).value
                )
              ).B) AS TEXT)
              WHEN NOT (
                (
                  (
                    e0
                  ).value
                )
              ).BOOL IS NULL
              THEN CASE WHEN (
                (
                  (
                    e0
                  ).value
                )
              ).BOOL THEN 'true' ELSE 'false' END
              WHEN (
                (
                  (
                    e0
                  ).value
                )
              )."NULL"
              THEN 'null'
              WHEN NOT (
                (
                  (
                    e0
                  ).value
                )
              ).SS IS NULL
              THEN CAST(TO_JSON((
                (
                  (
                    e0
                  ).value
                )
              ).SS) AS TEXT)
              WHEN NOT (
                (
                  (
                    e0
                  ).value
                )
              ).NS IS NULL
              THEN '[' || ARRAY_TO_STRING((
                (
                  e0
                ).value
              )."NS", ',') || ']'
              WHEN NOT (
                (
                  (
                    e0
                  ).value
                )
              ).BS IS NULL
              THEN CAST(TO_JSON((
                (
                  (
                    e0
                  ).value
                )
              ).BS) AS TEXT)
              WHEN NOT (
                (
                  (
                    e0
                  ).value
                )
              ).M IS NULL
              THEN (
                '{' || ARRAY_TO_STRING(
                  LIST_TRANSFORM(
                    MAP_ENTRIES(
                      JSON_TRANSFORM(
                        (
                          (
                            e0
                          ).value
                        )."M",
                        '"MAP(VARCHAR, STRUCT(S VARCHAR, N VARCHAR, B VARCHAR, BOOL BOOLEAN, \"NULL\" BOOLEAN, M JSON, L JSON, SS VARCHAR[], NS VARCHAR[], BS VARCHAR[]))"'
                      )
                    ),
                    e1 -> CAST(TO_JSON((
                      e1
                    ).key) AS TEXT) || ':' || CASE
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).S IS NULL
                      THEN CAST(TO_JSON((
                        (
                          (
                            e1
                          ).value
                        )
                      ).S) AS TEXT)
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).N IS NULL
                      THEN (
                        (
                          e1
                        ).value
                      )."N"
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).B IS NULL
                      THEN CAST(TO_JSON((
                        (
                          (
                            e1
                          ).value
                        )
                      ).B) AS TEXT)
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).BOOL IS NULL
                      THEN CASE WHEN (
                        (
                          (
                            e1
                          ).value
                        )
                      ).BOOL THEN 'true' ELSE 'false' END
                      WHEN (
                        (
                          (
                            e1
                          ).value
                        )
                      )."NULL"
                      THEN 'null'
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).SS IS NULL
                      THEN CAST(TO_JSON((
                        (
                          (
                            e1
                          ).value
                        )
                      ).SS) AS TEXT)
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).NS IS NULL
                      THEN '[' || ARRAY_TO_STRING((
                        (
                          e1
                        ).value
                      )."NS", ',') || ']'
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).BS IS NULL
                      THEN CAST(TO_JSON((
                        (
                          (
                            e1
                          ).value
                        )
                      ).BS) AS TEXT)
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).M IS NULL
                      THEN AWS2BQ_DDB_JSON(CAST((
                        (
                          e1
                        ).value
                      )."M" AS TEXT), FALSE)
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).L IS NULL
                      THEN AWS2BQ_DDB_JSON(CAST((
                        (
                          e1
                        ).value
                      )."L" AS TEXT), TRUE)
                    END
                  ),
                  ','
                ) || '}'
              )
              WHEN NOT (
                (
                  (
                    e0
                  ).value
                )
              ).L IS NULL
              THEN (
                '[' || ARRAY_TO_STRING(
                  LIST_TRANSFORM(
                    JSON_TRANSFORM(
                      (
                        (
                          e0
                        ).value
                      )."L",
                      '"STRUCT(S VARCHAR, N VARCHAR, B VARCHAR, BOOL BOOLEAN, \"NULL\" BOOLEAN, M JSON, L JSON, SS VARCHAR[], NS VARCHAR[], BS VARCHAR[])[]"'
                    ),
                    e1 -> CASE
                      WHEN NOT (
                        e1
                      ).S IS NULL
                      THEN CAST(TO_JSON((
                        e1
                      ).S) AS TEXT)
                      WHEN NOT (
                        e1
                      ).N IS NULL
                      THEN (
                        e1
                      )."N"
                      WHEN NOT (
                        e1
                      ).B IS NULL
                      THEN CAST(TO_JSON((
                        e1
                      ).B) AS TEXT)
                      WHEN NOT (
                        e1
                      ).BOOL IS NULL
                      THEN CASE WHEN (
                        e1
                      ).BOOL THEN 'true' ELSE 'false' END
                      WHEN (
                        e1
                      )."NULL"
                      THEN 'null'
                      WHEN NOT (
                        e1
                      ).SS IS NULL
                      THEN CAST(TO_JSON((
                        e1
                      ).SS) AS TEXT)
                      WHEN NOT (
                        e1
                      ).NS IS NULL
                      THEN '[' || ARRAY_TO_STRING((
                        e1
                      )."NS", ',') || ']'
                      WHEN NOT (
                        e1
                      ).BS IS NULL
                      THEN CAST(TO_JSON((
                        e1
                      ).BS) AS TEXT)
                      WHEN NOT (
                        e1
                      ).M IS NULL
                      THEN AWS2BQ_DDB_JSON(CAST((
                        e1
                      )."M" AS TEXT), FALSE)
                      WHEN NOT (
                        e1
                      ).L IS NULL
                      THEN AWS2BQ_DDB_JSON(CAST((
                        e1
                      )."L" AS TEXT), TRUE)
                    END
                  ),
                  ','
                ) || ']'
              )
            END
          ),
          ','
        ) || '}'
      )
      WHEN NOT (
        "Item"['m']
      ).L IS NULL
      THEN (
        '[' || ARRAY_TO_STRING(
          LIST_TRANSFORM(
            JSON_TRANSFORM(
              (
                "Item"['m']
              )."L",
              '"STRUCT(S VARCHAR, N VARCHAR, B VARCHAR, BOOL BOOLEAN, \"NULL\" BOOLEAN, M JSON, L JSON, SS VARCHAR[], NS VARCHAR[], BS VARCHAR[])[]"'
            ),
            e0 -> CASE
              WHEN NOT (
                e0
              ).S IS NULL
              THEN CAST(TO_JSON((
                e0
              ).S) AS TEXT)
              WHEN NOT (
                e0
              ).N IS NULL
              THEN (
                e0
              )."N"
              WHEN NOT (
                e0
              ).B IS NULL
              THEN CAST(TO_JSON((
                e0
              ).B) AS TEXT)
              WHEN NOT (
                e0
              ).BOOL IS NULL
              THEN CASE WHEN (
                e0
              ).BOOL THEN 'true' ELSE 'false' END
              WHEN (
                e0
              )."NULL"
              THEN 'null'
              WHEN NOT (
                e0
              ).SS IS NULL
              THEN CAST(TO_JSON((
                e0
              ).SS) AS TEXT)
              WHEN NOT (
                e0
              ).NS IS NULL
              THEN '[' || ARRAY_TO_STRING((
                e0
              )."NS", ',') || ']'
              WHEN NOT (
                e0
              ).BS IS NULL
              THEN CAST(TO_JSON((
                e0
              ).BS) AS TEXT)
              WHEN NOT (
                e0
              ).M IS NULL
              THEN (
                '{' || ARRAY_TO_STRING(
                  LIST_TRANSFORM(
                    MAP_ENTRIES(
                      JSON_TRANSFORM(
                        (
                          e0
                        )."M",
                        '"MAP(VARCHAR, STRUCT(S VARCHAR, N VARCHAR, B VARCHAR, BOOL BOOLEAN, \"NULL\" BOOLEAN, M JSON, L JSON, SS VARCHAR[], NS VARCHAR[], BS VARCHAR[]))"'
                      )
                    ),
                    e1 -> CAST(TO_JSON((
                      e1
                    ).key) AS TEXT) || ':' || CASE
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).S IS NULL
                      THEN CAST(TO_JSON((
                        (
                          (
                            e1
                          ).value
                        )
                      ).S) AS TEXT)
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).N IS NULL
                      THEN (
                        (
                          e1
                        ).value
                      )."N"
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).B IS NULL
                      THEN CAST(TO_JSON((
                        (
                          (
                            e1
                          ).value
                        )
                      ).B) AS TEXT)
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).BOOL IS NULL
                      THEN CASE WHEN (
                        (
                          (
                            e1
                          ).value
                        )
                      ).BOOL THEN 'true' ELSE 'false' END
                      WHEN (
                        (
                          (
                            e1
                          ).value
                        )
                      )."NULL"
                      THEN 'null'
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).SS IS NULL
                      THEN CAST(TO_JSON((
                        (
                          (
                            e1
                          ).value
                        )
                      ).SS) AS TEXT)
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).NS IS NULL
                      THEN '[' || ARRAY_TO_STRING((
                        (
                          e1
                        ).value
                      )."NS", ',') || ']'
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).BS IS NULL
                      THEN CAST(TO_JSON((
                        (
                          (
                            e1
                          ).value
                        )
                      ).BS) AS TEXT)
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).M IS NULL
                      THEN AWS2BQ_DDB_JSON(CAST((
                        (
                          e1
                        ).value
                      )."M" AS TEXT), FALSE)
                      WHEN NOT (
                        (
                          (
                            e1
                          ).value
                        )
                      ).L IS NULL
                      THEN AWS2BQ_DDB_JSON(CAST((
                        (
                          e1
                        ).value
                      )."L" AS TEXT), TRUE)
                    END
                  ),
                  ','
                ) || '}'
              )
              WHEN NOT (
                e0
              ).L IS NULL
              THEN (
                '[' || ARRAY_TO_STRING(
                  LIST_TRANSFORM(
                    JSON_TRANSFORM(
                      (
                        e0
                      )."L",
                      '"STRUCT(S VARCHAR, N VARCHAR, B VARCHAR, BOOL BOOLEAN, \"NULL\" BOOLEAN, M JSON, L JSON, SS VARCHAR[], NS VARCHAR[], BS VARCHAR[])[]"'
                    ),
                    e1 -> CASE
                      WHEN NOT (
                        e1
                      ).S IS NULL
                      THEN CAST(TO_JSON((
                        e1
                      ).S) AS TEXT)
                      WHEN NOT (
                        e1
                      ).N IS NULL
                      THEN (
                        e1
                      )."N"
                      WHEN NOT (
                        e1
                      ).B IS NULL
                      THEN CAST(TO_JSON((
                        e1
                      ).B) AS TEXT)
                      WHEN NOT (
                        e1
                      ).BOOL IS NULL
                      THEN CASE WHEN (
                        e1
                      ).BOOL THEN 'true' ELSE 'false' END
                      WHEN (
                        e1
                      )."NULL"
                      THEN 'null'
                      WHEN NOT (
                        e1
                      ).SS IS NULL
                      THEN CAST(TO_JSON((
                        e1
                      ).SS) AS TEXT)
                      WHEN NOT (
                        e1
                      ).NS IS NULL
                      THEN '[' || ARRAY_TO_STRING((
                        e1
                      )."NS", ',') || ']'
                      WHEN NOT (
                        e1
                      ).BS IS NULL
                      THEN CAST(TO_JSON((
                        e1
                      ).BS) AS TEXT)
                      WHEN NOT (
                        e1
                      ).M IS NULL
                      THEN AWS2BQ_DDB_JSON(CAST((
                        e1
                      )."M" AS TEXT), FALSE)
                      WHEN NOT (
                        e1
                      ).L IS NULL
                      THEN AWS2BQ_DDB_JSON(CAST((
                        e1
                      )."L" AS TEXT), TRUE)
                    END
                  ),
                  ','
                ) || ']'
              )
            END
          ),
          ','
        ) || ']'
      )
    END AS JSON)
  END AS "m",
  CAST(CASE
    WHEN CONTAINS((
      "Item"['n']
    )."N", 'e') OR CONTAINS((
      "Item"['n']
    )."N", 'E')
    THEN CASE
      WHEN REGEXP_MATCHES(
        (
          (
            "Item"['n']
          )."N"
        ),
        '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$'
      )
      THEN LIST_TRANSFORM(
        [
          REGEXP_EXTRACT(
            (
              (
                "Item"['n']
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
          "Item"['n']
        )."N"
      )
    END
    ELSE (
      "Item"['n']
    )."N"
  END AS BIGINT) AS "n",
  (
    "Item"['x''; DROP TABLE t; --']
  )."S" AS "x'_ DROP TABLE t_ --",
  CAST('e''1' AS TEXT) AS "_aws2bq_export_id",
  CAST('2024-01-01T00:00:00+00:00' AS TIMESTAMPTZ) AS "_aws2bq_exported_at"
FROM "stage"."main"."items"
