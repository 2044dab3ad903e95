"""What the BigQuery warehouse is about to send, as observers see it (a module below the
client, so that the host and the stagers can name a request without importing the client)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Request:
    """One request the warehouse is about to send to BigQuery (what observers see).

    ``kind``: ``query`` (``sql`` is the statement or script), ``create_table`` (``table``,
    ``fields``: the ``SchemaField``s), ``drop_table``, ``load`` (``table``, ``sources``: the
    files or URIs of that one job), ``update_table`` (``table``, ``fields``: the new schema),
    ``routine`` (``table`` is the routine id, ``signature`` its argument types and return
    type).
    """

    kind: str
    sql: str | None = None
    table: str | None = None
    fields: tuple[Any, ...] = ()
    sources: tuple[str, ...] = ()
    what: str = ""
    signature: tuple[tuple[str, ...], str] | None = None
