"""Opening DuckDB database files: offline, and only files that are DuckDB databases.

DuckDB installs and loads "known" extensions on demand by default: opening a SQLite file
makes it download ``sqlite_scanner`` from extensions.duckdb.org, and some functions fetch
their extension the same way (https://duckdb.org/docs/stable/extensions/overview, settings
``autoinstall_known_extensions`` and ``autoload_known_extensions``). aws2bq
needs only the built-in ``json``, ``parquet`` and ``icu``, so every connection it opens has
both off: nothing reaches the network, and a file that is not a DuckDB database is refused
with one line before DuckDB looks at it.

A DuckDB database file holds the magic bytes ``DUCK`` at offset 8, after the header's
checksum (seen in files written by DuckDB 1.x and 2.0; a file DuckDB has just created and not
yet written is empty).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws2bq.errors import ConfigError

if TYPE_CHECKING:
    import duckdb

#: Settings of every DuckDB connection aws2bq opens (passed to ``duckdb.connect(config=…)``).
OFFLINE_CONFIG: dict[str, Any] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
#: Where a DuckDB file says what it is.
MAGIC = b"DUCK"
MAGIC_OFFSET = 8
#: First bytes of files people mistake for DuckDB databases, for the message.
_KNOWN_FORMATS = (
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "a gzip file"),
    (b"PK\x03\x04", "a zip file"),
)


def check_duckdb_file(path: str | os.PathLike[str]) -> None:
    """Refuse ``path`` unless it is absent, empty (DuckDB creates it) or a DuckDB database.

    Raises:
        ConfigError: ``path`` is a directory, not a regular file, unreadable, or a file of
            another format (named when recognised).
    """
    file = Path(path)
    if not file.exists():
        return
    if file.is_dir():
        raise ConfigError(
            f"the warehouse path {file} is a directory, not a DuckDB database file",
            hint="give a file path: duckdb:///relative/file.duckdb or duckdb:////absolute/file",
        )
    if not file.is_file():
        raise ConfigError(f"the warehouse path {file} is not a regular file")
    try:
        with file.open("rb") as fh:
            head = fh.read(16)  # enough for every magic below
    except OSError as exc:
        raise ConfigError(
            f"cannot read the warehouse file {file}: {exc.strerror or exc}",
            hint="check the path and its permissions",
        ) from None
    if not head or head[MAGIC_OFFSET : MAGIC_OFFSET + len(MAGIC)] == MAGIC:
        return
    what = next((name for magic, name in _KNOWN_FORMATS if head.startswith(magic)), None)
    raise ConfigError(
        f"the warehouse file {file} is {what or 'not a DuckDB database'}"
        + (", not a DuckDB database" if what else ""),
        hint="point --warehouse at a DuckDB file (a new path creates one)",
    )


def check_relative_path(path: str, url: str) -> None:
    """Refuse a relative path that would create folders here while the same path exists from
    the root: ``duckdb:///tmp/x.duckdb`` is ``./tmp/x.duckdb``, not ``/tmp/x.duckdb``.

    Raises:
        ConfigError: ``path`` is relative, its first folder does not exist in the working
            directory, and ``/<path>``'s folder does (the URL lacks a slash).
    """
    if path == ":memory:" or os.path.isabs(os.path.expanduser(path)):
        return
    first = Path(path).parts[0] if len(Path(path).parts) > 1 else None
    if first is None or Path(first).exists():
        return
    absolute = Path("/") / path
    if absolute.parent.is_dir():
        raise ConfigError(
            f"warehouse URL {url!r} names {Path(path).resolve()} (relative to the working "
            f"directory), whose folder {first!r} does not exist here, while {absolute.parent} "
            "does",
            hint=f"for {absolute} write duckdb:///{absolute} (four slashes); for a file under "
            f"./{first} create that folder first",
        )


def connect_offline(path: str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` with extension auto-install and auto-load off, after
    :func:`check_duckdb_file` (``:memory:`` is not checked)."""
    import duckdb

    if path != ":memory:":
        check_duckdb_file(path)
    return duckdb.connect(path, read_only=read_only, config=dict(OFFLINE_CONFIG))
