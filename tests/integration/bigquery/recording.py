"""Record every request a BigQuery warehouse sends, then analyze them as BigQuery would.

:class:`Recorder` observes :class:`BigQueryWarehouse` (its ``observers`` hook, called before
each request). :func:`analyze` replays the requests of one dataset in order against a
GoogleSQL catalog: tables created through the API (staging tables, RDS groups) and by DDL
(targets, the ledger, temporary tables) enter it as they appear, dropped ones leave it, the
persistent JSON UDF is declared, and every statement and script is analyzed by GoogleSQL's
analyzer (:mod:`aws2bq.testing.googlesql`) and checked against BigQuery's documented rules
(:mod:`aws2bq.warehouses.bigquery.rules`). Statements added to the warehouse later are
covered automatically: they go through the same send path.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws2bq.testing.googlesql import AnalysisError, Catalog, GoogleSqlAnalyzer
from aws2bq.warehouses.bigquery.client import BigQueryWarehouse, Request, standard_type
from aws2bq.warehouses.bigquery.rules import (
    Violation,
    check_fields,
    check_parquet_load_fields,
    check_sql,
)


@dataclass
class Recorder:
    """Requests sent by every BigQuery warehouse while registered (a context manager)."""

    requests: list[tuple[str, Request]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, warehouse: BigQueryWarehouse, request: Request) -> None:
        with self._lock:
            self.requests.append((warehouse.config.dataset, request))

    def __enter__(self) -> Recorder:
        BigQueryWarehouse.observers.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        BigQueryWarehouse.observers.remove(self)

    def of(self, dataset: str, kind: str | None = None) -> list[Request]:
        return [r for d, r in self.requests if d == dataset and (kind is None or r.kind == kind)]

    def queries(self, dataset: str) -> list[str]:
        return [r.sql for r in self.of(dataset, "query") if r.sql is not None]

    def load_jobs_per_table(self, dataset: str) -> Counter[str]:
        return Counter(r.table for r in self.of(dataset, "load") if r.table)


@dataclass
class Findings:
    """What the replay found: statements the analyzer refused, rules broken, kinds seen."""

    errors: list[AnalysisError] = field(default_factory=list)
    violations: list[tuple[Violation, str]] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    #: The analyzed statements' text, in order.
    statements: list[str] = field(default_factory=list)

    def rule(self, name: str) -> list[str]:
        return [f"{v.message}" for v, _ in self.violations if v.rule == name]


def analyze(
    recorder: Recorder, project: str, dataset: str, analyzer: GoogleSqlAnalyzer
) -> Findings:
    """Replay ``dataset``'s requests against a catalog (see the module doc)."""
    catalog = Catalog(project, dataset)
    found = Findings()
    for request in recorder.of(dataset):
        if request.kind in ("create_table", "update_table"):
            fields = [f.to_api_repr() for f in request.fields]
            # RDS staging tables are loaded from Parquet: the classic names only (fault 10).
            rds_staging = (request.table or "").split(".")[-1].startswith("_aws2bq_rds_")
            check = check_parquet_load_fields if rds_staging else check_fields
            found.violations += [(v, request.kind) for v in check(fields)]
        if request.kind == "create_table" and request.table:
            catalog.add(
                request.table.split("."), [(f.name, standard_type(f)) for f in request.fields]
            )
        elif request.kind == "drop_table" and request.table:
            catalog.drop(request.table.split("."))
        elif request.kind == "routine" and request.table and request.signature:
            from aws2bq.testing.googlesql import zetasql_type

            project_id, dataset_id, name = request.table.split(".")
            arguments, result = request.signature
            catalog.functions[(project_id, dataset_id, name)] = (
                [zetasql_type(a) for a in arguments],
                zetasql_type(result),
            )
        elif request.kind == "query" and request.sql:
            types = {t[2]: {n: _type_text(ty) for n, ty in cols}
                     for t, cols in catalog.tables.items()}  # fmt: skip
            broken = check_sql(request.sql, column_types=types)
            found.violations += [(v, request.sql) for v in broken]
            try:
                for statement in analyzer.analyze_script(request.sql, catalog):
                    found.kinds[statement.kind] += 1
                    found.statements.append(statement.sql)
            except AnalysisError as exc:
                found.errors.append(exc)
                dump = os.environ.get("AWS2BQ_DUMP_REFUSED_SQL")
                if dump:  # for debugging: the whole statement the analyzer refused
                    Path(dump).mkdir(parents=True, exist_ok=True)
                    (Path(dump) / f"{dataset}-{len(found.errors)}.sql").write_text(exc.statement)
    return found


def _type_text(zetasql_type: Any) -> str:
    """BigQuery name of a ZetaSQL type (for the partition rule: scalar types only)."""
    names = {
        "TYPE_INT64": "INT64",
        "TYPE_DATE": "DATE",
        "TYPE_TIMESTAMP": "TIMESTAMP",
        "TYPE_DATETIME": "DATETIME",
        "TYPE_STRING": "STRING",
    }
    from zetasql.types import TypeKind

    kind = TypeKind(zetasql_type.type_kind).name if zetasql_type.type_kind is not None else ""
    return names.get(kind, kind.removeprefix("TYPE_"))


def rebuilds_a_table(sql: str) -> bool:
    """A ``CREATE OR REPLACE TABLE`` of a user's table (not the typed rows merge and history
    stage in ``_aws2bq_typed_<table>`` first: issue 12 fault 12)."""
    return re.match(r"CREATE OR REPLACE TABLE (`[^`]+`\.)*`_aws2bq_typed_", sql) is None and (
        sql.upper().startswith("CREATE OR REPLACE TABLE")
    )
