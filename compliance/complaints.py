"""Complaints (投诉): the grade a channel implies and the day a complaint is due. Pure: no I/O,
no clock; the caller says which day the complaint was opened.

The seeds' procedure (投诉处理记录单) grades every complaint: 常规 (routine); 重要 (important)
when it was forwarded by the bank's head office, UnionPay, the regulator or a consumer
association; 严重 (serious) when the media covered it or the debtor went to court. The grade
derived here is a proposal: the handler may change it, and the register keeps both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Channel(StrEnum):
    """How the complaint reached the company."""

    PHONE = "phone"  # 电话投诉: the debtor called (or said it on a call)
    VISIT = "visit"  # 来访
    BANK_FORWARDED = "bank_forwarded"  # 委托银行（总行）转办
    UNIONPAY = "unionpay"  # 银联转办
    REGULATOR = "regulator"  # 监管部门转办 (金融监管局, 12378)
    CONSUMER_ASSOCIATION = "consumer_association"  # 消费者协会转办
    MEDIA = "media"  # 媒体曝光
    LAWSUIT = "lawsuit"  # 诉讼


class Grade(StrEnum):
    ROUTINE = "routine"  # 常规
    IMPORTANT = "important"  # 重要
    SERIOUS = "serious"  # 严重


class ComplaintStatus(StrEnum):
    OPEN = "open"  # 处理中
    RESOLVED = "resolved"  # 已办结


CHANNEL_LABELS = {
    Channel.PHONE: "电话 · phone",
    Channel.VISIT: "来访 · visit",
    Channel.BANK_FORWARDED: "银行转办 · forwarded by the bank",
    Channel.UNIONPAY: "银联转办 · forwarded by UnionPay",
    Channel.REGULATOR: "监管转办 · regulator",
    Channel.CONSUMER_ASSOCIATION: "消协转办 · consumer association",
    Channel.MEDIA: "媒体 · media",
    Channel.LAWSUIT: "诉讼 · lawsuit",
}
GRADE_LABELS = {
    Grade.ROUTINE: "常规 · routine",
    Grade.IMPORTANT: "重要 · important",
    Grade.SERIOUS: "严重 · serious",
}
STATUS_LABELS = {
    ComplaintStatus.OPEN: "处理中 · open",
    ComplaintStatus.RESOLVED: "已办结 · resolved",
}

_GRADE_OF = {
    Channel.PHONE: Grade.ROUTINE,
    Channel.VISIT: Grade.ROUTINE,
    Channel.BANK_FORWARDED: Grade.IMPORTANT,
    Channel.UNIONPAY: Grade.IMPORTANT,
    Channel.REGULATOR: Grade.IMPORTANT,
    Channel.CONSUMER_ASSOCIATION: Grade.IMPORTANT,
    Channel.MEDIA: Grade.SERIOUS,
    Channel.LAWSUIT: Grade.SERIOUS,
}


def derive_grade(channel: Channel) -> Grade:
    """The grade the procedure gives a complaint that came this way."""
    return _GRADE_OF[channel]


@dataclass(frozen=True)
class DueDays:
    """Calendar days a complaint of each grade has until it must be resolved."""

    routine: int
    important: int
    serious: int

    def __post_init__(self) -> None:
        for grade in Grade:
            if self.days(grade) < 0:
                raise ValueError(f"due days for {grade.value}: must not be negative")

    def days(self, grade: Grade) -> int:
        return {
            Grade.ROUTINE: self.routine,
            Grade.IMPORTANT: self.important,
            Grade.SERIOUS: self.serious,
        }[grade]


def due_on(grade: Grade, opened_on: date, due: DueDays) -> date:
    """The last day (on the centre's calendar) a complaint opened on ``opened_on`` is due."""
    return opened_on + timedelta(days=due.days(grade))


def is_overdue(due: date, today: date, status: ComplaintStatus) -> bool:
    """An open complaint past its due day; a resolved one is never overdue."""
    return status is ComplaintStatus.OPEN and today > due
