"""The interface every source implements, and what the runner hands it.

A *source* is one kind of stream in ``aws2bq.toml`` (``kind = "dynamodb"``, ``"rds"``, …):
the AWS store whose exports aws2bq lands. Each lives in its own folder
``aws2bq/sources/<kind>/`` whose ``source`` module exposes ``SOURCE``, an instance of
:class:`Source`; :mod:`aws2bq.sources` finds it by the stream's kind, so adding a source
is adding a folder — nothing else in the runner names a source.

The runner drives one stream at a time through its source:

1. :meth:`Source.check` — refuse a stream the source cannot serve (before any AWS call);
   the appliers it needs are :meth:`Source.required_appliers`;
2. :meth:`Source.run` — **discover** the exports AWS holds, let the runner apply the ready
   ones (:meth:`StreamJob.apply_ready`), **start** (trigger) a new export when one is due,
   and hand the running ones to :meth:`StreamJob.finish` (poll or report pending);
3. an :data:`Applier` (:meth:`Source.appliers`) **reads** one export into a verified export
   (manifests, counts, checksums) and applies it to the warehouse in the stream's mode.

The ledger and the destination names are the source's too: :meth:`Source.identity` says
which ledger rows belong to a stream (used by run, plan and status alike) and
:meth:`Source.plan_targets` names the tables ``plan`` shows, by the same rule the loader
uses when it runs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel

from aws2bq.core.transport import DIRECT, TransportSpec
from aws2bq.errors import ConfigError

if TYPE_CHECKING:
    from aws2bq.config.model import Config
    from aws2bq.config.sections import TableLayoutMixin
    from aws2bq.core.apply import Mode
    from aws2bq.core.layout import TableLayout
    from aws2bq.core.ledger import LedgerRow
    from aws2bq.core.progress import Progress
    from aws2bq.runner.aws import Aws
    from aws2bq.runner.discovery import KnownExport
    from aws2bq.sources.blobs import ExportFile
    from aws2bq.warehouses.base import Warehouse

S = TypeVar("S", bound=BaseModel)


class NotYetSupportedError(ConfigError):
    """The stream asks for something aws2bq cannot apply yet (a stream failure, exit 1)."""

    exit_code = 1


# -- the ledger identity of a stream -----------------------------------------------------------
@dataclass(frozen=True)
class StreamIdentity:
    """Which ledger rows belong to one stream: the one key every reader of the ledger uses.

    A row belongs to the stream when its ``source`` is :attr:`source` and, where set, its
    ``stream`` equals :attr:`ledger_stream` and its export location lies under
    :attr:`location_prefix` (RDS rows are per table, so they are found by where the
    stream's exports are written).
    """

    source: str
    ledger_stream: str | None = None
    location_prefix: str | None = None

    def owns(self, row: LedgerRow) -> bool:
        """Whether ``row`` records an export of this stream."""
        if row.source != self.source:
            return False
        if self.ledger_stream is not None and row.stream != self.ledger_stream:
            return False
        if self.location_prefix is not None:
            return (row.export_location.rstrip("/") + "/").startswith(self.location_prefix)
        return True


@dataclass(frozen=True)
class PlanTarget:
    """One destination table ``plan`` shows merge / history SQL for."""

    table: str
    #: The ledger ``stream`` of the table (its schema history).
    ledger_stream: str
    keys: tuple[str, ...]
    mode: Mode
    soft_delete: bool


# -- applying one export -------------------------------------------------------------------------
@dataclass(frozen=True)
class ApplyContext:
    """What an applier needs besides the export."""

    config: Config
    stream: Any
    warehouse: Warehouse
    progress: Progress
    #: DynamoDB: key attributes (config, else DescribeTable).
    keys: tuple[str, ...] = ()
    #: How the export's files reach the warehouse (the stream's transport).
    transport: TransportSpec = DIRECT


@dataclass
class Applied:
    """What an applier did: rows, tables, and per-table failures (RDS)."""

    export_id: str
    rows: int = 0
    tables: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    already: bool = False
    #: Route, bytes moved, transfer and load jobs, seconds per stage (the run summary).
    transport: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


#: Reads one export (verified) and applies it in the stream's mode.
Applier = Callable[[ApplyContext, "KnownExport"], Applied]


def table_layout(settings: TableLayoutMixin) -> TableLayout | None:
    """The partitioning / clustering a stream's (or RDS table's) config asks for, if any."""
    from aws2bq.core.layout import TableLayout

    spec = settings.partition_by
    if spec is None and not settings.cluster_by:
        return None
    return TableLayout(
        partition_column=spec.column if spec else None,
        granularity=spec.granularity if spec else "DAY",
        cluster_by=tuple(settings.cluster_by),
        expiration_days=spec.expiration_days if spec else None,
        require_filter=spec.require_filter if spec else False,
    )


# -- what the runner offers a source during one run ---------------------------------------------
class RunNotes(Protocol):
    """The parts of the stream's run result a source writes to."""

    notes: list[str]
    started: list[dict[str, Any]]
    error: str | None


class StreamJob(Protocol):
    """One stream's run as the runner drives it (:class:`aws2bq.runner.stream_run.StreamRun`).

    A source's :meth:`Source.run` discovers and starts exports itself and uses these shared
    steps for the rest, so ordering, superseding, failure and polling rules are the same for
    every source.
    """

    config: Config
    aws: Aws
    progress: Progress
    #: The run's clock (UTC), read once at the start of the stream.
    now: datetime
    plan_only: bool
    #: Key attributes of the destination (a source may set them before applying).
    keys: tuple[str, ...]
    #: The newest export time the ledger (or this run) applied, and the applied export ids.
    last_applied: datetime | None
    applied_ids: set[str]

    @property
    def result(self) -> RunNotes:
        """Where the source writes notes and the exports it started."""
        ...

    def read_ledger(self) -> list[LedgerRow]:
        """The stream's ledger rows (sets ``applied_ids`` and ``last_applied``)."""
        ...

    def apply_ready(self, exports: list[KnownExport]) -> None:
        """Apply the completed exports not yet applied, oldest first."""
        ...

    def check_latest_failed(self, exports: list[KnownExport]) -> None:
        """Fail the stream while its newest (unapplied) export FAILED."""
        ...

    def finish(
        self, running: list[KnownExport], describe: Callable[[KnownExport], KnownExport]
    ) -> None:
        """With wait, poll ``running`` and apply what completes; else report them pending."""
        ...


# -- the interface -------------------------------------------------------------------------------
class Source(ABC, Generic[S]):
    """One kind of stream: how its exports are found, started, read and applied.

    Subclasses set :attr:`kind` (the ``kind`` of the stream in ``aws2bq.toml``, the
    ``source`` column of the ledger) and :attr:`config_model` (the stream's pydantic model).
    """

    kind: ClassVar[str]
    config_model: ClassVar[type[BaseModel]]

    # -- what the stream needs ---------------------------------------------------------------
    @abstractmethod
    def export_kinds(self, stream: S) -> Sequence[str]:
        """The export kinds the stream's cadence produces (``full``, ``snapshot``, …)."""

    def needs_aws(self, stream: S) -> bool:
        """Whether running the stream calls AWS (then ``aws2bq run`` requires an AWS region;
        a run of streams that all answer False does not)."""
        return True

    def modes(self, stream: S) -> Sequence[str]:
        """The apply modes the stream uses (its own; RDS adds per-table ones)."""
        return [str(getattr(stream, "mode"))]  # noqa: B009 (every stream model has one)

    def required_appliers(self, stream: S) -> list[tuple[str, str, str]]:
        """The (source, export kind, mode) combinations the stream needs an applier for."""
        return [(self.kind, k, m) for k in self.export_kinds(stream) for m in self.modes(stream)]

    @abstractmethod
    def appliers(self) -> Mapping[tuple[str, str], Applier]:
        """(export kind, mode) → the applier the runner uses for this source's exports."""

    def check(self, stream: S) -> None:
        """Refuse (``ConfigError``) settings the scheduled runner cannot serve; default none."""
        return None

    # -- ledger and names --------------------------------------------------------------------
    @abstractmethod
    def identity(self, stream: S) -> StreamIdentity:
        """Which ledger rows are the stream's (run, plan and status read the ledger so)."""

    @abstractmethod
    def destination(self, stream: S) -> str:
        """The name the stream's exports are staged and landed under (transport, status)."""

    def history_streams(self, stream: S) -> Sequence[str]:
        """Ledger streams whose history ``plan`` shows the SELECT of; default none."""
        return []

    @abstractmethod
    def plan_targets(self, stream: S, keys: tuple[str, ...]) -> list[PlanTarget]:
        """The merge / history tables ``plan`` shows SQL for, named as the loader names them."""

    # -- discover, start, read -------------------------------------------------------------
    @abstractmethod
    def run(self, job: StreamJob, stream: S) -> None:
        """Discover the stream's exports, apply the ready ones, start one when due, finish."""

    @abstractmethod
    def export_files(self, stream: S, location: str) -> list[ExportFile]:
        """The data files of the (verified) export at ``location`` (plan's transport estimate)."""
