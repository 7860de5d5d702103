"""The admin's "dialable at" page, summarised and paged (pure).

The page computes a schedule for any instant over the whole book, which may hold a
million numbers; it renders the blocked numbers' count per rule, and at most one page of
each list, so no view renders more than :data:`PAGE_ROWS` numbers per list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from dialer.scheduler import Schedule
from dialer.worklist import BlockedItem, WorkItem

T = TypeVar("T")
PAGE_ROWS = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    """1-based; a number past the last page shows the last page."""
    pages: int
    total: int
    previous: str | None
    """The link to the page before, None on the first."""
    next: str | None


@dataclass(frozen=True)
class PreviewLists:
    by_rule: list[tuple[str, int, str]]
    """(rule, numbers it blocks, the link that lists them), the most first."""
    rule: str | None
    """The rule the blocked list is filtered on."""
    every_rule: str
    """The link that lists the numbers every rule blocks."""
    dialable: Page[WorkItem]
    blocked: Page[BlockedItem]


def preview_lists(
    schedule: Schedule, at: str, rule: str | None, dialable_page: int, blocked_page: int
) -> PreviewLists:
    """One page of each list at the instant ``at`` (as the admin typed it)."""
    rule = rule or None

    def link(**changes: object) -> str:
        query: dict[str, object] = {
            "at": at,
            "rule": rule,
            "dpage": dialable_page,
            "bpage": blocked_page,
        }
        query.update(changes)
        return "/admin/preview?" + urlencode({k: v for k, v in query.items() if v})

    blocked = schedule.blocked.with_rule(rule) if rule else schedule.blocked
    return PreviewLists(
        [(r, n, link(rule=r, bpage=1)) for r, n in schedule.blocked.counts_by_rule()],
        rule,
        link(rule=None, bpage=1),
        _page(schedule.dialable, dialable_page, lambda n: link(dpage=n)),
        _page(blocked, blocked_page, lambda n: link(bpage=n)),
    )


def _page(items: Sequence[T], number: int, link: Callable[[int], str]) -> Page[T]:
    pages = max(1, -(-len(items) // PAGE_ROWS))
    number = min(max(1, number), pages)
    start = (number - 1) * PAGE_ROWS
    return Page(
        list(items[start : start + PAGE_ROWS]),
        number,
        pages,
        len(items),
        link(number - 1) if number > 1 else None,
        link(number + 1) if number < pages else None,
    )
