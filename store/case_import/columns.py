"""The columns of a case file, with the Chinese headers banks actually send."""

from __future__ import annotations

from dataclasses import dataclass

MAX_CONTACTS = 5


@dataclass(frozen=True)
class Column:
    """One column a case file may carry; ``aliases`` are accepted header spellings."""

    name: str
    required: bool
    aliases: tuple[str, ...]
    doc: str


def _contact_columns(n: int) -> list[Column]:
    return [
        Column(f"contact{n}_name", False, (f"联系人{n}姓名",), f"contact {n}: name"),
        Column(
            f"contact{n}_relation",
            False,
            (f"联系人{n}关系",),
            f"contact {n}: family/colleague/emergency/other (亲属/同事/紧急联系人/其他)",
        ),
        Column(f"contact{n}_phone", False, (f"联系人{n}电话",), f"contact {n}: phone number"),
    ]


COLUMNS: tuple[Column, ...] = (
    Column("client_bank", True, ("委托方", "委托银行"), "client bank code"),
    Column("account_no", True, ("账号", "卡号", "合同号"), "account number, unique per bank"),
    Column("debtor_name", True, ("姓名", "客户姓名"), "debtor's name"),
    Column(
        "resident_id", True, ("身份证号", "证件号码"), "18-digit resident ID (checksum verified)"
    ),
    Column("mobile", False, ("手机", "手机号"), "debtor's mobile"),
    Column("home_phone", False, ("家庭电话", "住宅电话"), "debtor's home landline"),
    Column("work_phone", False, ("单位电话",), "debtor's work landline"),
    Column("amount_overdue", True, ("逾期金额", "欠款金额"), "amount overdue in yuan, ≥ 0"),
    Column("days_past_due", True, ("逾期天数",), "days past due, integer ≥ 0"),
    Column("account_class", False, ("账户分类", "分类"), "A/B/C/D"),
    Column("status", False, ("案件状态", "状态"), "active/stolen/jailed/deceased/…"),
    Column("campaign", False, ("批次",), "campaign (batch) code"),
    *(col for n in range(1, MAX_CONTACTS + 1) for col in _contact_columns(n)),
)

DEBTOR_PHONE_COLUMNS = ("mobile", "home_phone", "work_phone")


def resolve_header(header: list[str]) -> tuple[list[str | None], list[tuple[int, str, str]]]:
    """Map each header cell of a case file to a canonical column name (see
    :func:`resolve_columns`)."""
    return resolve_columns(header, COLUMNS)


def resolve_columns(
    header: list[str], columns: tuple[Column, ...]
) -> tuple[list[str | None], list[tuple[int, str, str]]]:
    """Map each header cell to one of ``columns``' canonical names.

    Returns the names (None for a cell that failed) and the problems as
    ``(column_index, header_cell, message)``.
    """
    by_header = {
        spelling.casefold(): column
        for column in columns
        for spelling in (column.name, *column.aliases)
    }
    names: list[str | None] = []
    problems: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(header):
        spelling = cell.strip().lstrip("\ufeff")
        column = by_header.get(spelling.casefold())
        if column is None:
            label = spelling or f"column {index + 1}"
            problems.append((index, label, "unknown column"))
            names.append(None)
            continue
        if column.name in seen:
            problems.append(
                (index, spelling, f"column given twice (as column {seen[column.name] + 1})")
            )
            names.append(None)
            continue
        seen[column.name] = index
        names.append(column.name)
    for column in columns:
        if column.required and column.name not in seen:
            problems.append((-1, column.name, f"missing required column ({column.doc})"))
    return names, problems
