"""The agent's worklist as cases (催收作业台, issue 22 item 1): one row per case in the
scheduler's order, with what an agent must know before dialling, and inside it every
number of the case in calling order, offered or not and why.

Dialability is read, never decided here: the kept schedule's rows (or, while they may not
be served, the fresh build :mod:`console.worklists` makes and says so). "My holds" lists the
agent's held cases, which no schedule deals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from compliance.policy import Profile
from console import queue_labels as zh
from console import worklists
from console.i18n import _
from console.worklists import CaseWhere, CaseWork
from dialer.scheduler import calling_rank
from store.case_queue import CaseFile, CaseNumber, case_files, held_cases
from store.kept_schedule import KeptBlocked, KeptItem
from store.pii import mask_text
from store.said import Said

FILTERS = tuple(zh.FILTERS_ZH)
"""The worklist's filters, as the ``show`` query parameter names them ("": every due case)."""


@dataclass(frozen=True, slots=True)
class NumberRow:
    """One number of a case as the agent sees it; ``e164`` is masked by the template."""

    phone_number_id: int
    e164: str
    who: str
    kind: str
    dialable: bool
    why_not: str
    next_allowed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CaseRow:
    file: CaseFile
    due: str
    """Why the case is due, named (首次外呼期限, 承诺还款到期, 失联 …); "" for a held case."""
    reason: str
    """The scheduler's words for it."""
    due_by: datetime | None
    numbers: list[NumberRow]


@dataclass(frozen=True, slots=True)
class CaseQueue:
    rows: list[CaseRow]
    total: int
    computed: Said | None


def case_queue(
    session: Session,
    profile: Profile,
    now: datetime,
    agent: tuple[int, str],
    *,
    show: str,
    limit: int,
) -> CaseQueue:
    """The agent's (id, code) cases that the filter ``show`` keeps, at most ``limit``."""
    zone = ZoneInfo(profile.timezone)
    agent_id, code = agent
    if show == "holds":
        ids, total = held_cases(session, agent_id, limit)
        files = case_files(session, ids, now, zone)
        return CaseQueue([_held_row(files[i]) for i in ids if i in files], total, None)
    work = worklists.agent_cases(
        session, profile, now, code, limit=limit, where=_where(show, now, zone)
    )
    return CaseQueue(_rows(session, profile, now, work), work.total, work.computed)


def _where(show: str, now: datetime, zone: ZoneInfo) -> CaseWhere:
    if show == "due_today":
        end = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
        # a first call's deadline, or related contacts due (issue 19), by today's end
        return CaseWhere(due_by=end + timedelta(days=1, microseconds=-1))
    if show == "promises":
        return CaseWhere(rule="schedule.promise_follow_up")
    if show == "never":
        return CaseWhere(never_called=True)
    return CaseWhere()


def _rows(session: Session, profile: Profile, now: datetime, work: CaseWork) -> list[CaseRow]:
    files = case_files(session, work.case_ids, now, ZoneInfo(profile.timezone))
    names = zh.rule_names(profile)
    offered: dict[int, list[KeptItem]] = {}
    for item in work.items:
        offered.setdefault(item.case_id, []).append(item)
    blocked: dict[tuple[int, int], KeptBlocked] = {
        (b.case_id, b.phone_number_id): b for b in work.blocked
    }
    rows = []
    for case_id in work.case_ids:
        items = offered.get(case_id, [])
        if case_id not in files or not items:
            continue  # gone since the schedule was kept: the owner's next pass drops it
        first = items[0]
        dialable = {item.phone_number_id for item in items}
        numbers = [
            _number(n, dialable, blocked.get((case_id, n.phone_number_id)), names)
            for n in _calling_order(files[case_id].numbers)
        ]
        rows.append(
            CaseRow(
                files[case_id],
                _(zh.TIER_ZH[first.rule]) if first.rule in zh.TIER_ZH else first.rule,
                zh.due_reason(first.reason, first.reason_zh, first.reason_en),
                first.due_by,
                numbers,
            )
        )
    return rows


def _calling_order(numbers: list[CaseNumber]) -> list[CaseNumber]:
    """The scheduler's order within a case: the debtor's first, then by kind."""
    return sorted(
        numbers, key=lambda n: (calling_rank(n.relation.value, n.kind.value), n.phone_number_id)
    )


def _number(
    number: CaseNumber, dialable: set[int], blocked: KeptBlocked | None, names: dict[str, str]
) -> NumberRow:
    who, kind = zh.who(number.relation, number.word), _(zh.KIND_ZH[number.kind])
    if number.phone_number_id in dialable:
        return NumberRow(number.phone_number_id, number.e164, who, kind, True, "", None)
    if blocked is None:
        why, at = _(zh.NOT_PLANNED_ZH), None
    else:
        why = zh.why_not(names, blocked.rule, blocked.reason_zh, blocked.reason_en)
        at = blocked.next_allowed_at
    return NumberRow(number.phone_number_id, number.e164, who, kind, False, why, at)


def _held_row(file: CaseFile) -> CaseRow:
    held = _("；").join(
        _(zh.HOLD_ZH[h.reason])
        + (_("（%(what)s）") % {"what": mask_text(h.detail)} if h.detail else "")
        for h in file.holds
    )
    why = _("%(rule)s：%(held)s，待主管解除") % {"rule": _(zh.RULE_KIND_ZH["hold"]), "held": held}
    numbers = [
        NumberRow(
            n.phone_number_id,
            n.e164,
            zh.who(n.relation, n.word),
            _(zh.KIND_ZH[n.kind]),
            False,
            why,
            None,
        )
        for n in _calling_order(file.numbers)
    ]
    return CaseRow(file, "", "", None, numbers)
