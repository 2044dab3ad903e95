"""The one error root of aws2bq.

Every error says what happened, to which stream/table/file/config key, and what to do, on
one line (``message → hint``): the SQL of a failed statement, a driver's internal details or
a traceback go to the debug log (``aws2bq -v``), never into the message. Errors of AWS,
Google and the OS are translated into these classes at the boundary where they happen.
``retryable`` tells the runner whether trying again later can help (throttling, a transient
network fault, an export still in progress) or not (a corrupt export, a bad config).
"""

from __future__ import annotations


class Aws2BqError(Exception):
    """Root of every error aws2bq raises on purpose."""

    retryable: bool = False
    #: Process exit code when this error ends a CLI command.
    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} → {self.hint}"
        return self.message


def one_line(text: str) -> str:
    """``text`` on one line: its non-blank lines, stripped, joined by ``; ``.

    Examples:
        >>> one_line("2 problems\n  a.toml line 3: bad\n  a.toml line 5: worse")
        '2 problems; a.toml line 3: bad; a.toml line 5: worse'
    """
    return "; ".join(part.strip() for part in text.splitlines() if part.strip())


class TransientError(Aws2BqError):
    """Something that may succeed if tried again later (throttling, timeouts)."""

    retryable = True


class ConfigError(Aws2BqError):
    """Bad usage or configuration: a wrong flag, a missing key, an invalid value."""

    exit_code = 2


class ExportError(Aws2BqError):
    """An export (DynamoDB or RDS) is incomplete, corrupt, or not in the expected layout."""


class ExportNotReadyError(ExportError, TransientError):
    """The export exists but has not completed yet."""


class TransferPending(TransientError):
    """An export's files are still being moved (a Storage Transfer Service job runs): not a
    failure; a later run continues where this one stopped. ``progress`` says how far it got
    (files, bytes, percent)."""

    def __init__(self, message: str, *, progress: dict[str, object] | None = None) -> None:
        super().__init__(message, hint="a later `aws2bq run` continues it")
        self.progress = dict(progress or {})


class WarehouseError(Aws2BqError):
    """The warehouse refused or failed an operation.

    ``statement`` keeps the SQL that failed, for the debug log only: it is never part of the
    message.
    """

    def __init__(
        self, message: str, *, hint: str | None = None, statement: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.statement = statement


class ValueLossError(WarehouseError):
    """The warehouse refused a value its typed conversion cannot hold exactly.

    Raised at the warehouse boundary (the client's error translation) when a statement
    stopped at a loss guard of the typed SQL (:func:`aws2bq.core.rds_sql.loss_message`), so
    the runner catches this type, finds the values (``warehouses.rds_queries.losses``) and
    reports them as a :class:`TypeConversionError` naming the table and column.
    """


class ContractError(Aws2BqError, ValueError):
    """A core function was given something outside its documented contract: a caller's bug,
    or data a check upstream should have refused (a change set in replace mode, a
    partition column of a type BigQuery cannot partition by). The core raises this instead
    of a bare ``ValueError``, so every error it raises has the one root; it stays a
    ``ValueError`` for callers that translate those (the config's validators)."""


class TypeConversionError(Aws2BqError):
    """A value cannot be represented in the chosen type without losing data."""


class SandboxError(Aws2BqError):
    """The local AWS sandbox could not start or do what was asked."""


class MissingExtraError(ConfigError):
    """An optional dependency is not installed; the message names the install line."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"the optional dependency {module!r} is not installed",
            hint=f'pip install "aws2bq[{extra}]"',
        )
