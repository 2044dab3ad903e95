"""How one SQL dialect shapes the change statements: data carried by the warehouse's dialect.

Each warehouse's ``dialect`` module (``aws2bq.warehouses.<name>.dialect``) sets its
:class:`~aws2bq.core.capabilities.ChangeFeatures` (MERGE or not, the row hash, partitioning
and clustering, in-place type changes) on its capabilities. The change, layout and
schema-evolution statements read them through :func:`features`, never a dialect's name.
"""

from __future__ import annotations

from aws2bq.core.capabilities import Capabilities, ChangeFeatures


def features(caps: Capabilities) -> ChangeFeatures:
    """The change features of a warehouse's dialect (its ``dialect`` module sets them)."""
    return caps.changes


__all__ = ["ChangeFeatures", "features"]
