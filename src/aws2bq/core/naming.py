"""Column names from source names: verbatim where the warehouse accepts them, deterministic.

Each warehouse's rule is data (:class:`NameRule`, referenced by its capabilities):

- **BigQuery** (flexible column names, https://cloud.google.com/bigquery/docs/schemas
  #flexible-column-names and #column_names): letters of any script (``\\p{L}``), marks
  (``\\p{M}``), digits of any script (``\\p{N}``), connector punctuation including ``_``
  (``\\p{Pc}``), dashes (``\\p{Pd}``), whitespace, and ``& % = + : ' < > # |``; a name may
  start with a digit; at most 300 characters; names are case-insensitive; the prefixes
  ``_TABLE_``, ``_FILE_``, ``_PARTITION``, ``_ROW_TIMESTAMP``, ``__ROOT__``,
  ``_COLIDENTIFIER`` and ``_CHANGE_…`` are reserved. Everything else (``! " $ ( ) * , . / ;
  ? @ [ \\ ] ^ ` { } ~``, other symbols such as emoji, control characters) is replaced.
- **DuckDB**: any non-empty name, quoted (https://duckdb.org/docs/stable/sql/dialect/
  keywords_and_identifiers); names are case-insensitive.

On both, names starting with ``_aws2bq_`` are aws2bq's own (prefixed ``c_``), and
collisions — case-insensitive — are resolved in sorted order of the source names by ``_2``,
``_3`` …. The source name itself is kept in the column description and the ledger.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
#: aws2bq's own prefix (system and bookkeeping columns): reserved on every warehouse.
OWN_PREFIXES: tuple[str, ...] = ("_aws2bq_",)


@dataclass(frozen=True)
class NameRule:
    """Which column names a warehouse accepts.

    ``categories`` are Unicode general-category prefixes accepted anywhere (``"L"`` = every
    letter category); ``characters`` further single characters; ``None`` for both means any
    character. ``digit_start`` says whether a name may start with a digit.
    """

    max_length: int
    reserved_prefixes: tuple[str, ...]
    categories: tuple[str, ...] | None = None
    characters: frozenset[str] = frozenset()
    digit_start: bool = True

    def accepts(self, ch: str) -> bool:
        """Whether the character ``ch`` may appear in a column name."""
        if self.categories is None:
            return True
        if ch in self.characters:
            return True
        category = unicodedata.category(ch)
        return any(category.startswith(c) for c in self.categories)


#: BigQuery flexible column names (see the module docstring for the source).
BIGQUERY_NAMES = NameRule(
    max_length=300,
    reserved_prefixes=RESERVED_PREFIXES,
    categories=("L", "M", "N", "Pc", "Pd", "Zs"),
    characters=frozenset("&%=+:'<>#| "),
)
#: DuckDB: any quoted identifier but the empty one.
DUCKDB_NAMES = NameRule(max_length=300, reserved_prefixes=OWN_PREFIXES)


def sanitize(name: str, rule: NameRule = BIGQUERY_NAMES) -> str:
    """A valid column name for ``name`` under ``rule`` (without collision handling).

    Characters the rule forbids become ``_`` (a run of them one ``_``); a leading digit
    where the rule forbids it, an empty result or a reserved prefix gets a prefix; names
    longer than ``rule.max_length`` are cut and end with a hash of the full name.

    Examples:
        >>> sanitize("名前")
        '名前'
        >>> sanitize("cost ($)")
        'cost _'
        >>> sanitize("_TABLE_SUFFIX")
        'c__TABLE_SUFFIX'
        >>> sanitize("a.b", DUCKDB_NAMES)
        'a.b'
    """
    out: list[str] = []
    previous_replaced = False
    for ch in name:
        replaced = not rule.accepts(ch)
        if not (replaced and previous_replaced):
            out.append("_" if replaced else ch)
        previous_replaced = replaced
    result = "".join(out) or "_"
    if result[0].isdigit() and not rule.digit_start:
        result = "_" + result
    lowered = result.lower()
    if any(lowered.startswith(p) for p in rule.reserved_prefixes):
        result = "c_" + result
    if len(result) > rule.max_length:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        result = result[: rule.max_length - 9] + "_" + digest
    return result


def assign_names(
    source_names: Iterable[str], *, taken: Sequence[str] = (), rule: NameRule = BIGQUERY_NAMES
) -> dict[str, str]:
    """Map each source name to a unique column name, avoiding ``taken`` (case-insensitively).

    Names are assigned in sorted order of the source names, so the result does not depend on
    the order they were discovered in; on a collision the later name gets ``_2``, ``_3`` ….

    Example:
        >>> assign_names(["id", "Id", "i.d"])
        {'Id': 'Id', 'i.d': 'i_d', 'id': 'id_2'}
    """
    used = {t.lower() for t in taken}
    result: dict[str, str] = {}
    for source in sorted(set(source_names)):
        base = sanitize(source, rule)
        candidate = base
        n = 1
        while candidate.lower() in used:
            n += 1
            suffix = f"_{n}"
            candidate = base[: rule.max_length - len(suffix)] + suffix
        used.add(candidate.lower())
        result[source] = candidate
    return result


#: The classic column-name convention (letters, digits, underscores; not starting with a
#: digit), all a BigQuery Parquet load accepts: "Loading Parquet data follows the column
#: naming convention and doesn't support flexible column names"
#: (https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet#limitations).
_CLASSIC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,299}")
#: Prefix of a renamed staging column (``_aws2bq_c1`` …: aws2bq's own, never a kept name).
STAGING_PREFIX = "_aws2bq_c"


def staging_names(names: Sequence[str]) -> dict[str, str]:
    """A staging column name for each column of a Parquet file, in file order.

    A name is kept when a BigQuery Parquet load accepts it as is: the classic convention,
    no reserved prefix (aws2bq's own included), and no other name in the file equal to it
    ignoring case (BigQuery matches a Parquet file's columns to the table's ignoring case,
    https://cloud.google.com/bigquery/docs/schemas#column_names). Any other becomes
    ``_aws2bq_c<position>`` (1-based), so the staged file and table can be loaded; the typed
    SELECT reads it back under its source name (:class:`aws2bq.core.rds_sql.Source`).

    Example:
        >>> staging_names(["id", "a.b", "Name", "name"])
        {'id': 'id', 'a.b': '_aws2bq_c2', 'Name': '_aws2bq_c3', 'name': '_aws2bq_c4'}
    """
    folded = Counter(n.lower() for n in names)
    out: dict[str, str] = {}
    for position, name in enumerate(names, start=1):
        lowered = name.lower()
        kept = (
            _CLASSIC_NAME.fullmatch(name) is not None
            and folded[lowered] == 1
            and not lowered.startswith(RESERVED_PREFIXES)
        )
        out[name] = name if kept else f"{STAGING_PREFIX}{position}"
    return out
