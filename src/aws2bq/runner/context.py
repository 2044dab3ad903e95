"""Say which export and table a warehouse failure happened in (issue 11.11).

A driver's message says what went wrong ("Invalid unicode…", "Could not serialize access");
the runner knows where. :func:`failing_as` prefixes a :class:`~aws2bq.errors.WarehouseError`
with that context, keeping its class (a :class:`~aws2bq.errors.ValueLossError` stays one), its
hint and its statement (which only the debug log shows).
Transient errors (another writer, throttling) are left as they are: the runner treats them as
"busy, retry later".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aws2bq.errors import WarehouseError


@contextmanager
def failing_as(what: str) -> Iterator[None]:
    """Re-raise a ``WarehouseError`` from the block as ``"<what>: <message>"``."""
    try:
        yield
    except WarehouseError as exc:
        if exc.message.startswith(what):
            raise
        raise type(exc)(f"{what}: {exc.message}", hint=exc.hint, statement=exc.statement) from exc
