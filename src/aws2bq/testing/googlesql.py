"""GoogleSQL (ZetaSQL) analysis of the SQL aws2bq sends to BigQuery, for the test suite.

BigQuery's SQL front end is GoogleSQL, whose reference analyzer is ZetaSQL. The ``zetasql``
package (PyPI, the engine compiled to WebAssembly and run by ``wasmtime``; a dev dependency)
runs it in-process: :class:`GoogleSqlAnalyzer` analyzes every statement of a script against a
:class:`Catalog` of table schemas (name resolution, types, function signatures, coercions),
with BigQuery's language options (:func:`bigquery_language_options`), and applies the DDL it
meets (CREATE [TEMP] TABLE, CTAS, ALTER TABLE ADD COLUMN / SET DATA TYPE, DROP) to the catalog,
so a later statement sees the tables and columns an earlier one made. :meth:`evaluate` runs an
expression in ZetaSQL's reference implementation (value semantics: JSON_KEYS, casts, …).

Compiling the 28 MB WebAssembly module takes 20–45 s; the compiled code is cached on disk
(``cache_dir``; ``wasmtime`` serialisation), after which start-up takes well under a second.

Where the analyzer is more permissive than BigQuery (documented in docs/bigquery.md): it does
not know BigQuery's limits (query length, column names, partition expressions, DDL inside a
transaction: :mod:`aws2bq.testing.bigquery_rules` checks those), does not check that a table
created with ``IF NOT EXISTS`` has the columns the script assumes, and its feature set is
"every released GoogleSQL feature" minus what BigQuery lacks, not BigQuery's exact set.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot.expressions as exp

#: ZetaSQL features BigQuery has that ``maximum_features`` leaves out (ideally_enabled=false):
#: https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language
#: (ALTER COLUMN SET DATA TYPE, CREATE TABLE … CLONE).
_BIGQUERY_EXTRA_FEATURES = (
    "FEATURE_ALTER_COLUMN_SET_DATA_TYPE",
    "FEATURE_CREATE_TABLE_CLONE",
    "FEATURE_CLONE_DATA",
    # BigQuery has no FLOAT32 type (https://cloud.google.com/bigquery/docs/reference/
    # standard-sql/data-types#floating_point_types).
    "FEATURE_DISABLE_FLOAT32",
    # PARSE_JSON's default wide_number_mode is 'exact' (rejects numbers a double cannot hold).
    "FEATURE_JSON_STRICT_NUMBER_PARSING",
    # COALESCE / IF / CASE do not evaluate the branches they do not take ("the remaining
    # expressions aren't evaluated": https://cloud.google.com/bigquery/docs/reference/
    # standard-sql/conditional_expressions#coalesce); aws2bq's loss checks rely on it.
    "FEATURE_ENFORCE_CONDITIONAL_EVALUATION",
)

#: BigQuery type names (standard SQL) → ZetaSQL TypeKind names.
_TYPE_KINDS = {
    "INT64": "TYPE_INT64",
    "INTEGER": "TYPE_INT64",
    "FLOAT64": "TYPE_DOUBLE",
    "FLOAT": "TYPE_DOUBLE",
    "BOOL": "TYPE_BOOL",
    "BOOLEAN": "TYPE_BOOL",
    "STRING": "TYPE_STRING",
    "BYTES": "TYPE_BYTES",
    "DATE": "TYPE_DATE",
    "DATETIME": "TYPE_DATETIME",
    "TIME": "TYPE_TIME",
    "TIMESTAMP": "TYPE_TIMESTAMP",
    "NUMERIC": "TYPE_NUMERIC",
    "BIGNUMERIC": "TYPE_BIGNUMERIC",
    "JSON": "TYPE_JSON",
    "GEOGRAPHY": "TYPE_GEOGRAPHY",
    "INTERVAL": "TYPE_INTERVAL",
}


class AnalysisError(Exception):
    """A statement GoogleSQL's analyzer refuses: ``message`` names the statement and why."""

    def __init__(self, message: str, statement: str) -> None:
        super().__init__(f"{message}\n  statement: {statement[:2000]}")
        self.reason = message
        self.statement = statement


# -- the WebAssembly service, compiled once and cached ------------------------------------------
_lock = threading.Lock()
_service: Any = None


def _client_class() -> type:
    from zetasql.core.wasm_client import WasmClient, get_tzinfo_dir

    class CachedWasmClient(WasmClient):  # type: ignore[misc]
        """zetasql's client, with the compiled module cached and bulk memory copies."""

        def __init__(self, wasm_path: str, cache_dir: Path | None) -> None:
            import wasmtime

            wasi = wasmtime.WasiConfig()
            wasi.inherit_stdout()
            wasi.inherit_stderr()
            zoneinfo = get_tzinfo_dir()
            if zoneinfo:
                wasi.preopen_dir(zoneinfo, "/usr/share/zoneinfo")
            config = wasmtime.Config()
            with contextlib.suppress(AttributeError):
                config.shared_memory = True
            engine = wasmtime.Engine(config)
            self.store = wasmtime.Store(engine)
            self.store.set_wasi(wasi)
            self.module = _compiled_module(engine, Path(wasm_path), cache_dir)
            linker = wasmtime.Linker(engine)
            linker.define_wasi()
            self.instance = linker.instantiate(self.store, self.module)
            exports: Any = self.instance.exports(self.store)
            self.exports = exports
            with contextlib.suppress(KeyError):
                exports["_initialize"](self.store)
            self.memory = self.exports["memory"]

        # The package copies byte by byte in Python; one memmove does the same.
        def _base(self) -> int:
            import wasmtime

            memory: Any = self.memory
            if isinstance(memory, wasmtime.SharedMemory):
                return ctypes.addressof(memory.data_ptr().contents)
            return ctypes.addressof(memory.data_ptr(self.store).contents)

        def write_bytes(self, ptr: int, data: bytes) -> None:
            ctypes.memmove(self._base() + ptr, data, len(data))

        def read_bytes(self, ptr: int, size: int) -> bytes:
            return ctypes.string_at(self._base() + ptr, size)

    return CachedWasmClient


def _compiled_module(engine: Any, wasm: Path, cache_dir: Path | None) -> Any:
    import wasmtime

    if cache_dir is None:
        return wasmtime.Module.from_file(engine, str(wasm))
    stat = wasm.stat()
    key = hashlib.sha256(
        f"{wasm}:{stat.st_size}:{stat.st_mtime_ns}:{wasmtime.__file__}".encode()
    ).hexdigest()[:16]
    cached = cache_dir / f"zetasql-{key}.cwasm"
    if cached.exists():
        with contextlib.suppress(Exception):  # a cache from another wasmtime: compile again
            return wasmtime.Module.deserialize_file(engine, str(cached))
    module = wasmtime.Module.from_file(engine, str(wasm))
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(module.serialize())
    partial.replace(cached)  # atomic: another process may be writing the same file
    return module


def default_cache_dir() -> Path:
    """Where the compiled module is kept: ``$AWS2BQ_GOOGLESQL_CACHE``, else
    ``$XDG_CACHE_HOME/aws2bq/googlesql`` (``~/.cache/aws2bq/googlesql``)."""
    explicit = os.environ.get("AWS2BQ_GOOGLESQL_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aws2bq" / "googlesql"


def local_service(cache_dir: Path | None = None) -> Any:
    """The process's ZetaSQL local service (started on first use; see module doc)."""
    global _service
    with _lock:
        if _service is None:
            from zetasql.core.local_service import ZetaSqlLocalService
            from zetasql.wasi import get_wasm_path

            service = ZetaSqlLocalService.__new__(ZetaSqlLocalService)
            service.wasm_client = _client_class()(get_wasm_path(), cache_dir)
            # The package's helpers (LanguageOptions.maximum_features, …) use its singleton.
            ZetaSqlLocalService._instance = service
            _service = service
        return _service


def bigquery_language_options() -> Any:
    """GoogleSQL language options standing for BigQuery's.

    Every released GoogleSQL feature (``maximum_features``) in the external product mode
    (no INT32/UINT64/FLOAT/PROTO types, as BigQuery), plus the BigQuery features ZetaSQL marks
    as not ideally enabled (:data:`_BIGQUERY_EXTRA_FEATURES`), and every statement kind.
    """
    from zetasql.types import LanguageOptions
    from zetasql.types.proto_model import ProductMode
    from zetasql.wasi._pb2.zetasql.public import options_pb2

    options = LanguageOptions.maximum_features()
    options.product_mode = ProductMode.PRODUCT_EXTERNAL
    enabled = set(options.enabled_language_features)
    enabled |= {options_pb2.LanguageFeature.Value(name) for name in _BIGQUERY_EXTRA_FEATURES}
    options.enabled_language_features = sorted(enabled)
    options.supported_statement_kinds = []  # empty = every kind
    return options


# -- types and the catalog ----------------------------------------------------------------------
def zetasql_type(bigquery_type: str | exp.DataType) -> Any:
    """The ZetaSQL ``Type`` of a BigQuery type (``INT64``, ``ARRAY<STRING>``, ``NUMERIC(38, 9)``,
    ``STRUCT<a INT64>``)."""
    from zetasql.api import TypeFactory
    from zetasql.types import TypeKind

    dtype = (
        bigquery_type
        if isinstance(bigquery_type, exp.DataType)
        else exp.DataType.build(bigquery_type, dialect="bigquery")
    )
    if dtype.is_type(exp.DataType.Type.ARRAY):
        return TypeFactory.create_array_type(zetasql_type(dtype.expressions[0]))
    if dtype.is_type(exp.DataType.Type.STRUCT):
        fields = []
        for member in dtype.expressions:
            fields.append((member.name, zetasql_type(member.args["kind"])))
        return TypeFactory.create_struct_type(fields)
    name = dtype.sql(dialect="bigquery").split("(")[0].upper()
    try:
        kind = _TYPE_KINDS[name]
    except KeyError:
        raise ValueError(f"no GoogleSQL type for BigQuery type {bigquery_type}") from None
    return TypeFactory.create_simple_type(getattr(TypeKind, kind))


@dataclass
class Catalog:
    """Tables (by project, dataset, name) as GoogleSQL sees them; unqualified names are the
    default dataset's, then the script's temporary tables.

    Column types are ZetaSQL ``Type`` objects (from :func:`zetasql_type` or an analyzed
    statement). Names compare case-insensitively, as BigQuery's dataset and table names in
    a query do not (they are case-sensitive), but ZetaSQL's catalog does: no two aws2bq tables
    differ only by case.
    """

    project: str
    dataset: str
    tables: dict[tuple[str, str, str], list[tuple[str, Any]]] = field(default_factory=dict)
    temporary: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    #: Persistent functions (``project.dataset.name``): (argument types, return type).
    functions: dict[tuple[str, str, str], tuple[list[Any], Any]] = field(default_factory=dict)

    def key(self, path: Sequence[str]) -> tuple[str, str, str]:
        parts = [p for piece in path for p in piece.split(".")]
        if len(parts) == 1:
            return (self.project, self.dataset, parts[0])
        if len(parts) == 2:
            return (self.project, parts[0], parts[1])
        if len(parts) == 3:
            return (parts[0], parts[1], parts[2])
        raise ValueError(f"bad table path {'.'.join(path)}")

    def add(self, path: Sequence[str], columns: Iterable[tuple[str, Any]]) -> None:
        """Add (or replace) a table; types may be BigQuery type text or ZetaSQL types."""
        typed = [(n, zetasql_type(t) if isinstance(t, str) else t) for n, t in columns]
        self.tables[self.key(path)] = typed

    def find(self, path: Sequence[str]) -> list[tuple[str, Any]] | None:
        parts = [p for piece in path for p in piece.split(".")]
        if len(parts) == 1 and parts[0].lower() in self.temporary:
            return self.temporary[parts[0].lower()]
        return self.tables.get(self.key(path))

    def drop(self, path: Sequence[str]) -> None:
        parts = [p for piece in path for p in piece.split(".")]
        if len(parts) == 1 and self.temporary.pop(parts[0].lower(), None) is not None:
            return
        self.tables.pop(self.key(path), None)

    def simple_catalog(self, language: Any) -> Any:
        """The ZetaSQL ``SimpleCatalog`` (nested: project → dataset → table)."""
        from zetasql.types import (
            SimpleCatalog,
            SimpleColumn,
            SimpleTable,
            ZetaSQLBuiltinFunctionOptions,
        )

        def table(name: str, columns: list[tuple[str, Any]]) -> Any:
            return SimpleTable(
                name=name,
                column=[SimpleColumn(name=n, type=t, is_writable_column=True) for n, t in columns],
            )

        projects: dict[str, dict[str, list[Any]]] = {}
        for (project, dataset, name), columns in self.tables.items():
            projects.setdefault(project, {}).setdefault(dataset, []).append(table(name, columns))
        functions: dict[tuple[str, str], list[Any]] = {}
        for (project, dataset, name), (arguments, result) in self.functions.items():
            projects.setdefault(project, {}).setdefault(dataset, [])
            functions.setdefault((project, dataset), []).append(
                _function([name], arguments, result)
            )

        def dataset_catalog(project: str, dataset: str, tables: list[Any]) -> Any:
            return SimpleCatalog(
                name=dataset, table=tables, custom_function=functions.get((project, dataset), [])
            )

        project_catalogs = [
            SimpleCatalog(
                name=project,
                catalog=[dataset_catalog(project, d, t) for d, t in datasets.items()],
            )
            for project, datasets in projects.items()
        ]
        default = projects.get(self.project, {})
        root_tables = [table(n, c) for n, c in self.temporary.items()]
        taken = {t.name.lower() for t in root_tables}
        root_tables += [t for t in default.get(self.dataset, []) if t.name.lower() not in taken]
        # `dataset`.`table` in the default project: the project's datasets at the root too.
        dataset_catalogs = [
            dataset_catalog(self.project, d, t)
            for d, t in default.items()
            if d.lower() not in {c.name.lower() for c in project_catalogs}
        ]
        root = SimpleCatalog(
            name="bigquery",
            table=root_tables,
            catalog=[*project_catalogs, *dataset_catalogs],
            builtin_function_options=ZetaSQLBuiltinFunctionOptions(language_options=language),
        )
        return root


def _function(path: list[str], arguments: list[Any], result: Any) -> Any:
    from zetasql.api.builders.function_builder import FunctionBuilder
    from zetasql.types import FunctionArgumentType, FunctionSignature, SignatureArgumentKind

    def fixed(t: Any) -> Any:
        # num_occurrences=1: a concrete signature (ZetaSQL aborts on a missing count).
        return FunctionArgumentType(
            kind=SignatureArgumentKind.ARG_TYPE_FIXED, type=t, num_occurrences=1
        )

    signature = FunctionSignature(argument=[fixed(a) for a in arguments], return_type=fixed(result))
    return FunctionBuilder(".".join(path)).add_signature(signature).build()


# -- the analyzer ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Analyzed:
    """One analyzed statement: its resolved kind (``ResolvedMergeStmt``, …) and text."""

    kind: str
    sql: str


class GoogleSqlAnalyzer:
    """Analyze BigQuery SQL with GoogleSQL's analyzer (see the module doc)."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.service = local_service(cache_dir or default_cache_dir())
        self.language = bigquery_language_options()

    def _options(self) -> Any:
        from zetasql.types import AnalyzerOptions, ErrorMessageMode

        return AnalyzerOptions(
            language_options=self.language,
            error_message_mode=ErrorMessageMode.ERROR_MESSAGE_ONE_LINE,
            # BigQuery scripts may read @@error.message and similar system variables; none
            # are used by aws2bq, so none are declared (an unknown one fails analysis).
            allow_undeclared_parameters=False,
        )

    def analyze_script(self, sql: str, catalog: Catalog) -> list[Analyzed]:
        """Analyze every statement of ``sql`` in order, applying its DDL to ``catalog``.

        The catalog is registered with the service once (and again after DDL changed it),
        so the builtin functions are not rebuilt per statement; responses stay protobuf
        messages, turned into the package's models only for DDL.

        Raises:
            AnalysisError: the first statement the analyzer refuses (with its text).
        """
        from zetasql.core.exceptions import ServerError
        from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as pb

        client = self.service.wasm_client
        data = sql.encode()
        options = self._options().to_proto()
        position = 0
        out: list[Analyzed] = []
        registered: int | None = None
        try:
            while data[position:].strip(b" \t\r\n;"):
                if registered is None:
                    request = pb.RegisterCatalogRequest(
                        simple_catalog=catalog.simple_catalog(self.language).to_proto()
                    )
                    registered = client.call_grpc_func(
                        "ZetaSqlLocalService_RegisterCatalog", request, pb.RegisterResponse
                    ).registered_id
                analyze = pb.AnalyzeRequest(
                    options=options, registered_catalog_id=registered, sql_statement=sql
                )
                analyze.parse_resume_location.input = sql
                analyze.parse_resume_location.byte_position = position
                try:
                    response = client.call_grpc_func(
                        "ZetaSqlLocalService_Analyze", analyze, pb.AnalyzeResponse
                    )
                except ServerError as exc:
                    text = _statement_at(data, position)
                    raise AnalysisError(f"GoogleSQL analysis failed: {exc}", text) from exc
                end = response.resume_byte_position
                text = data[position:end].decode().strip().rstrip(";")
                leaf = _leaf(response.resolved_statement)
                kind = leaf.DESCRIPTOR.name.removesuffix("Proto")
                if kind in _DDL:
                    from zetasql.types import parse_proto

                    apply_ddl(parse_proto(response.resolved_statement), catalog)
                    self._unregister(registered)
                    registered = None
                out.append(Analyzed(kind, text))
                if end <= position:
                    break
                position = end
        finally:
            if registered is not None:
                self._unregister(registered)
        return out

    def _unregister(self, registered: int) -> None:
        from google.protobuf import empty_pb2  # type: ignore[import-untyped]
        from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as pb

        self.service.wasm_client.call_grpc_func(
            "ZetaSqlLocalService_UnregisterCatalog",
            pb.UnregisterRequest(registered_id=registered),
            empty_pb2.Empty,
        )

    def evaluate(self, expression: str) -> Any:
        """Evaluate a constant expression in ZetaSQL's reference implementation.

        Returns the value as plain Python, through ``TO_JSON_STRING`` (so INT64, NUMERIC and
        arrays come back exact: ``json.loads`` keeps integers whole).

        Raises:
            AnalysisError: the expression does not analyze, or fails when evaluated (e.g. a
                bad CAST), with GoogleSQL's message.
        """
        from zetasql.api import PreparedExpression
        from zetasql.core.exceptions import ServerError

        prepared = PreparedExpression(
            f"TO_JSON_STRING({expression})",
            self._options(),
            Catalog("p", "d").simple_catalog(self.language),
            service=self.service,
        )
        try:
            text = prepared.execute().get_string()
        except ServerError as exc:
            raise AnalysisError(f"GoogleSQL evaluation failed: {exc}", expression) from exc
        finally:
            prepared.close()
        return json.loads(text)


#: Resolved statements that change the catalog (:func:`apply_ddl`).
_DDL = frozenset(
    {"ResolvedCreateTableStmt", "ResolvedCreateTableAsSelectStmt", "ResolvedAlterTableStmt",
     "ResolvedDropStmt"}
)  # fmt: skip


def _leaf(message: Any) -> Any:
    """The concrete node inside a resolved-AST ``Any…Proto`` (a chain of oneofs)."""
    while True:
        oneofs = message.DESCRIPTOR.oneofs
        if not oneofs:
            return message
        name = message.WhichOneof(oneofs[0].name)
        if name is None:
            return message
        message = getattr(message, name)


def _statement_at(data: bytes, start: int) -> str:
    rest = data[start:].decode(errors="replace")
    return rest.split(";\n", 1)[0].strip()


#: ResolvedCreateStatementEnums values (zetasql/resolved_ast/resolved_ast_enums.proto).
_CREATE_TEMP = 3
_CREATE_IF_NOT_EXISTS = 2


def apply_ddl(statement: Any, catalog: Catalog) -> None:
    """Change ``catalog`` as BigQuery would after ``statement`` (a resolved DDL statement)."""
    name = type(statement).__name__
    if name in ("ResolvedCreateTableStmt", "ResolvedCreateTableAsSelectStmt"):
        columns = [(c.name, c.type) for c in statement.column_definition_list]
        path = list(statement.name_path)
        if int(statement.create_mode or 0) == _CREATE_IF_NOT_EXISTS and catalog.find(path):
            return
        if int(statement.create_scope or 0) == _CREATE_TEMP and len(path) == 1:
            catalog.temporary[path[0].lower()] = columns
        else:
            catalog.add(path, columns)
    elif name == "ResolvedAlterTableStmt":
        found = catalog.find(list(statement.name_path))
        if found is None:
            return
        columns = found
        for action in statement.alter_action_list:
            kind = type(action).__name__
            if kind == "ResolvedAddColumnAction":
                definition = action.column_definition
                if not any(n.lower() == definition.name.lower() for n, _ in columns):
                    columns.append((definition.name, definition.type))
            elif kind == "ResolvedAlterColumnSetDataTypeAction":
                columns[:] = [
                    (n, action.updated_type if n.lower() == action.column.lower() else t)
                    for n, t in columns
                ]
    elif name == "ResolvedDropStmt" and (statement.object_type or "").upper() == "TABLE":
        catalog.drop(list(statement.name_path))
