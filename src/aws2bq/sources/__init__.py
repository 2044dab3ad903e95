"""Where exports come from: one folder per source, found by the stream's kind.

Each source is a package ``aws2bq.sources.<kind>`` (``dynamodb``, ``rds``, …) with a module
``source`` exposing ``SOURCE``, an instance of :class:`aws2bq.sources.base.Source`; it is
imported only when a stream of that kind is used. Adding a source is adding such a folder:
:func:`source_for` finds it by name and :func:`kinds` lists every folder, so nothing here or
in the runner has to change. ``blobs`` (local folders and S3, shared by every source) lives
beside the folders.

Adding a source ``K``:

1. ``aws2bq/sources/K/config.py``: the ``[streams.NAME]`` model (a pydantic model built from
   :mod:`aws2bq.config.sections`, with ``kind: Literal["K"]``); add it to the ``Stream`` union
   and ``STREAM_KINDS`` in :mod:`aws2bq.config.model` and to ``SECTIONS`` in
   :mod:`aws2bq.config.docs` (the config's one list of stream kinds and their docs);
2. ``aws2bq/sources/K/source.py``: ``SOURCE``, a :class:`~aws2bq.sources.base.Source` whose
   ``run`` discovers and starts the stream's exports and whose ``appliers`` read and apply
   them; the runner, ``plan`` and ``status`` then serve the kind with no other change.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import pkgutil
from functools import cache
from typing import TYPE_CHECKING, Any

from aws2bq.errors import ConfigError

if TYPE_CHECKING:
    from aws2bq.sources.base import Source


def kinds() -> list[str]:
    """The source kinds this build has (every sub-package of ``aws2bq.sources`` with a
    ``source`` module), sorted."""
    return sorted(
        m.name
        for m in pkgutil.iter_modules(__path__)
        if m.ispkg and importlib.util.find_spec(f"{__name__}.{m.name}.source") is not None
    )


@cache
def source_for(kind: str) -> Source[Any]:
    """The source of stream kind ``kind``; ``ConfigError`` (naming the kinds) if none.

    Raises:
        ConfigError: no folder ``aws2bq/sources/<kind>/`` with a ``source`` module.
    """
    from aws2bq.sources.base import Source

    known = kinds()
    if kind not in known:
        close = difflib.get_close_matches(kind, known, n=1)
        raise ConfigError(
            f"unknown stream kind {kind!r}",
            hint=f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(known)}",
        )
    module = importlib.import_module(f"aws2bq.sources.{kind}.source")
    found = getattr(module, "SOURCE", None)
    if not isinstance(found, Source) or found.kind != kind:
        raise ConfigError(
            f"the {kind} source is not available in this build",
            hint=f"expected SOURCE (a Source of kind {kind!r}) in aws2bq.sources.{kind}.source",
        )
    return found


def source_of(stream: Any) -> Source[Any]:
    """The source of a configured stream (by its ``kind``)."""
    return source_for(str(stream.kind))


def all_sources() -> list[Source[Any]]:
    """Every source of this build (imports each folder's ``source`` module)."""
    return [source_for(k) for k in kinds()]


__all__ = ["all_sources", "kinds", "source_for", "source_of"]
