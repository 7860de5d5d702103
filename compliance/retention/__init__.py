"""Retention (保存期限) and legal hold: the periods as data and the pure decision of what
expires. The store's edge (``store.retention``) reads the facts and the clock and deletes."""

from compliance.retention.decide import Expiry, Item, Kept, Plan, Ref, decide
from compliance.retention.periods import (
    MIN_DAYS,
    Kind,
    KindDays,
    RetentionPeriods,
    load_periods,
    parse_periods,
    shipped_retention_dir,
)

__all__ = [
    "MIN_DAYS",
    "Expiry",
    "Item",
    "Kept",
    "Kind",
    "KindDays",
    "Plan",
    "Ref",
    "RetentionPeriods",
    "decide",
    "load_periods",
    "parse_periods",
    "shipped_retention_dir",
]
