"""Column names that every warehouse accepts, derived deterministically from source names.

BigQuery's rules (export-formats.md §3): letters, digits and underscores; the first character
a letter or underscore; at most 300 characters; case-insensitive, so ``Id`` and ``id``
collide; some prefixes are reserved. DuckDB is case-insensitive too, so one rule serves both.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence

#: Prefixes BigQuery reserves (compared case-insensitively), plus aws2bq's own.
RESERVED_PREFIXES: tuple[str, ...] = (
    "_table_",
    "_file_",
    "_partition",
    "_row_timestamp",
    "__root__",
    "_colidentifier",
    "_change_",
    "_aws2bq_",
)

_ALLOWED = re.compile(r"[A-Za-z0-9_]")


def _char(ch: str) -> str:
    if _ALLOWED.fullmatch(ch):
        return ch
    category = unicodedata.category(ch)
    if category[0] in "LN":
        # A letter or digit outside ASCII: keep it recognisable and distinct.
        return f"u{ord(ch):04x}"
    return "_"


def sanitize(name: str, *, max_length: int = 300) -> str:
    """A valid column name for ``name`` (without collision handling).

    Accents are dropped (``café`` → ``cafe``); other non-ASCII letters become ``u`` + their
    code point; any other character becomes ``_`` (a run of them one ``_``); a leading digit,
    an empty result or a reserved prefix gets a prefix; names longer than ``max_length`` are
    cut and end with a hash of the full name.

    Examples:
        >>> sanitize("first name")
        'first_name'
        >>> sanitize("1st")
        '_1st'
        >>> sanitize("_TABLE_SUFFIX")
        'c__TABLE_SUFFIX'
    """
    decomposed = unicodedata.normalize("NFKD", name)
    out: list[str] = []
    previous_replaced = False
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        piece = _char(ch)
        replaced = piece == "_" and ch != "_"
        if not (replaced and previous_replaced):
            out.append(piece)
        previous_replaced = replaced
    result = "".join(out)
    if not result:
        result = "_"
    if result[0].isdigit():
        result = "_" + result
    lowered = result.lower()
    if any(lowered.startswith(p) for p in RESERVED_PREFIXES):
        result = "c_" + result
    if len(result) > max_length:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        result = result[: max_length - 9] + "_" + digest
    return result


def assign_names(
    source_names: Iterable[str], *, taken: Sequence[str] = (), max_length: int = 300
) -> dict[str, str]:
    """Map each source name to a unique column name, avoiding ``taken`` (case-insensitively).

    Names are assigned in sorted order of the source names, so the result does not depend on
    the order they were discovered in; on a collision the later name gets ``_2``, ``_3`` ….

    Example:
        >>> assign_names(["id", "Id", "i-d"])
        {'Id': 'Id', 'i-d': 'i_d', 'id': 'id_2'}
    """
    used = {t.lower() for t in taken}
    result: dict[str, str] = {}
    for source in sorted(set(source_names)):
        base = sanitize(source, max_length=max_length)
        candidate = base
        n = 1
        while candidate.lower() in used:
            n += 1
            suffix = f"_{n}"
            candidate = base[: max_length - len(suffix)] + suffix
        used.add(candidate.lower())
        result[source] = candidate
    return result
