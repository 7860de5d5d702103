"""Worklists for the agent's page, the dialer and ``schedule preview``: the kept schedule's
rows when they may be served, a fresh build otherwise, and the caller is told why.

The kept rows are written by the schedule's owner (``callwarden schedule keep``,
:mod:`dialer.keeper`); :func:`store.kept_schedule.problem` says when they may not be served
(none yet, another profile or other agents, another time, marks waiting past the lag). A
fresh build then costs what it always did, and is never passed off as the kept one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from compliance.policy import Profile
from dialer.keeper import as_kept
from dialer.worklist_source import active_agents, build_worklists
from store import kept_schedule as kept
from store.case_queue import never_called
from store.kept_schedule import KeptBlocked, KeptItem
from store.said import Said
from store.types import utcnow


@dataclass(frozen=True, slots=True)
class Worklists:
    """Items (the first ``limit``, most due first), how many in all, and ``computed``: why
    they were computed rather than read from the kept schedule (None: read; a page says it
    with :func:`console.i18n.say`)."""

    items: list[KeptItem]
    total: int
    computed: Said | None


@dataclass(frozen=True, slots=True)
class CaseWhere:
    """Which of the agent's due cases a filter keeps (issue 22): those due under ``rule``,
    with a deadline (a first call's, related contacts') by ``due_by``, never called;
    None/False: any."""

    rule: str | None = None
    due_by: datetime | None = None
    never_called: bool = False


@dataclass(frozen=True, slots=True)
class CaseWork:
    """The agent's first ``limit`` due cases in the schedule's order (``case_ids``), their
    dialable numbers (``items``, in order) and their blocked ones with why; how many cases
    the filter keeps in all; and ``computed`` as for :class:`Worklists`."""

    case_ids: list[int]
    items: list[KeptItem]
    blocked: list[KeptBlocked]
    total: int
    computed: Said | None


def serving_problem(session: Session, profile: Profile, now: datetime) -> Said | None:
    """Why the kept rows may not be served at ``now`` (None: they may)."""
    return kept.problem(session, profile.ruleset, active_agents(session), now, wall_now=utcnow())


def _fresh(session: Session, profile: Profile, now: datetime, agent: str | None) -> list[KeptItem]:
    schedule = build_worklists(session, profile, now, active_agents(session))
    dialable = schedule.for_agent(agent) if agent is not None else schedule.dialable
    return [as_kept(item) for item in dialable]


def agent_worklist(
    session: Session, profile: Profile, now: datetime, agent: str, limit: int
) -> Worklists:
    """The agent's most due ``limit`` items at ``now``."""
    why = serving_problem(session, profile, now)
    if why is None:
        items, total = kept.agent_items(session, agent, limit)
        return Worklists(items, total, None)
    everything = _fresh(session, profile, now, agent)
    return Worklists(everything[:limit], len(everything), why)


def offered(
    session: Session,
    profile: Profile,
    now: datetime,
    agent: str,
    number_and_case: tuple[int, int],
) -> KeptItem | None:
    """That number of that case, if it is on the agent's worklist at ``now``."""
    if serving_problem(session, profile, now) is None:
        return kept.offered(session, agent, *number_and_case)
    found = (
        item
        for item in _fresh(session, profile, now, agent)
        if (item.phone_number_id, item.case_id) == number_and_case
    )
    return next(found, None)


def deals_case(session: Session, profile: Profile, now: datetime, agent: str, case_id: int) -> bool:
    """Whether the scheduler deals a number of that case to the agent at ``now``."""
    if serving_problem(session, profile, now) is None:
        return kept.has_case(session, agent, case_id)
    return any(item.case_id == case_id for item in _fresh(session, profile, now, agent))


def kept_only(
    session: Session, profile: Profile, now: datetime, agent: str | None, limit: int | None
) -> Worklists:
    """The kept schedule's ``limit`` most due items (None: all) of ``agent`` (None: every
    agent's), if they may be served at ``now``; else no items, and why (``computed``: the
    caller computes, with whatever more it needs, such as the blocked numbers)."""
    why = serving_problem(session, profile, now)
    if why is not None:
        return Worklists([], 0, why)
    items, total = kept.first_items(session, agent, limit)
    return Worklists(items, total, None)


def every_worklist(session: Session, profile: Profile, now: datetime) -> Worklists:
    """Every agent's items at ``now``, most due first (what the dialer dials)."""
    why = serving_problem(session, profile, now)
    items = kept.all_items(session) if why is None else _fresh(session, profile, now, None)
    return Worklists(items, len(items), why)


def agent_cases(
    session: Session, profile: Profile, now: datetime, agent: str, *, limit: int, where: CaseWhere
) -> CaseWork:
    """The agent's most due ``limit`` cases at ``now`` that ``where`` keeps."""
    why = serving_problem(session, profile, now)
    if why is None:
        ids, total = kept.first_cases(
            session,
            agent,
            limit,
            rule=where.rule,
            due_by=where.due_by,
            never_called=where.never_called,
        )
        items = kept.case_items(session, agent, ids)
        return CaseWork(ids, items, kept.blocked_of(session, ids), total, None)
    schedule = build_worklists(session, profile, now, active_agents(session))
    mine = [as_kept(item) for item in schedule.for_agent(agent)]
    order = list(dict.fromkeys(item.case_id for item in mine if _keeps(where, item)))
    if where.never_called:
        fresh = never_called(session, order)
        order = [case_id for case_id in order if case_id in fresh]
    ids = order[:limit]
    shown = set(ids)
    items = [item for item in mine if item.case_id in shown]
    blocked = [KeptBlocked(*row) for row in schedule.blocked.rows_of(shown)]
    return CaseWork(ids, items, blocked, len(order), why)


def _keeps(where: CaseWhere, item: KeptItem) -> bool:
    if where.rule is not None and item.rule != where.rule:
        return False
    return where.due_by is None or (item.due_by is not None and item.due_by <= where.due_by)
