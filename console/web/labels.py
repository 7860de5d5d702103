"""How the console names the complaint register's values (投诉), as catalog messages: the
wording of compliance.complaints, whose own labels the CLI prints (pure data)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from compliance.complaints import Channel, ComplaintStatus, Grade
from console.i18n import N_, translated

CHANNEL_ZH: Mapping[Channel, str] = MappingProxyType(
    {
        Channel.PHONE: N_("电话"),
        Channel.VISIT: N_("来访"),
        Channel.BANK_FORWARDED: N_("银行转办"),
        Channel.UNIONPAY: N_("银联转办"),
        Channel.REGULATOR: N_("监管转办"),
        Channel.CONSUMER_ASSOCIATION: N_("消协转办"),
        Channel.MEDIA: N_("媒体"),
        Channel.LAWSUIT: N_("诉讼"),
    }
)
GRADE_ZH: Mapping[Grade, str] = MappingProxyType(
    {Grade.ROUTINE: N_("常规"), Grade.IMPORTANT: N_("重要"), Grade.SERIOUS: N_("严重")}
)
STATUS_ZH: Mapping[ComplaintStatus, str] = MappingProxyType(
    {ComplaintStatus.OPEN: N_("处理中"), ComplaintStatus.RESOLVED: N_("已办结")}
)


def complaint_labels() -> tuple[dict[Channel, str], dict[Grade, str], dict[ComplaintStatus, str]]:
    """Channel, grade and status names in the current language."""
    return translated(CHANNEL_ZH), translated(GRADE_ZH), translated(STATUS_ZH)
