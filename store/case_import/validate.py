"""Pure validation of one case-file row into a :class:`CaseRecord`."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneMetadata
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from store.case_import.cells import cell_problems
from store.case_import.columns import DEBTOR_PHONE_COLUMNS, MAX_CONTACTS
from store.case_import.values import parse_yuan, yuan_to_cents
from store.enums import AccountClass, CaseStatus, NumberKind, Relation

RELATION_ALIASES: dict[str, Relation] = {
    "family": Relation.FAMILY,
    "亲属": Relation.FAMILY,
    "家人": Relation.FAMILY,
    "家属": Relation.FAMILY,
    "配偶": Relation.FAMILY,
    "父母": Relation.FAMILY,
    "子女": Relation.FAMILY,
    "兄弟姐妹": Relation.FAMILY,
    **dict.fromkeys(
        (
            *("父亲", "母亲", "妻子", "丈夫", "儿子", "女儿", "哥哥", "姐姐", "弟弟", "妹妹"),
            *("爷爷", "奶奶", "外公", "外婆", "岳父", "岳母", "公公", "婆婆", "亲戚"),
        ),
        Relation.FAMILY,
    ),
    **dict.fromkeys(("领导", "上司", "下属"), Relation.COLLEAGUE),
    **dict.fromkeys(("同学", "室友", "邻居", "房东"), Relation.OTHER),
    "colleague": Relation.COLLEAGUE,
    "同事": Relation.COLLEAGUE,
    "emergency": Relation.EMERGENCY,
    "紧急联系人": Relation.EMERGENCY,
    "other": Relation.OTHER,
    "其他": Relation.OTHER,
    "朋友": Relation.OTHER,
}

STATUS_ALIASES: dict[str, CaseStatus] = {
    **{status.value: status for status in CaseStatus},
    "正常": CaseStatus.ACTIVE,
    "承诺还款": CaseStatus.PROMISED,
    "已还款": CaseStatus.PAID,
    "结案": CaseStatus.CLOSED,
    "被盗": CaseStatus.STOLEN,
    "盗刷": CaseStatus.STOLEN,
    "在押": CaseStatus.JAILED,
    "服刑": CaseStatus.JAILED,
    "死亡": CaseStatus.DECEASED,
    "身故": CaseStatus.DECEASED,
}

_KIND_OF_COLUMN = {
    "mobile": NumberKind.MOBILE,
    "home_phone": NumberKind.HOME,
    "work_phone": NumberKind.WORK,
}


@dataclass(frozen=True)
class NumberRecord:
    e164: str
    kind: NumberKind


GENERIC_RELATION_WORDS = frozenset(
    {
        "family",
        "亲属",
        "家人",
        "家属",
        "colleague",
        "同事",
        "emergency",
        "紧急联系人",
        "other",
        "其他",
    }
)
"""Words that say no more than the relation itself: not kept as the contact's own word."""


@dataclass(frozen=True)
class ContactRecord:
    name: str
    relation: Relation
    number: NumberRecord
    word: str = ""
    """The file's own relation word when it says more than ``relation`` (母亲), else ""."""


@dataclass(frozen=True)
class CaseRecord:
    """One validated row: a case, its debtor and their contacts."""

    row: int
    client_bank: str
    account_no: str
    debtor_name: str
    resident_id: str
    numbers: tuple[NumberRecord, ...]
    amount_overdue_cents: int
    days_past_due: int
    account_class: AccountClass | None
    status: CaseStatus | None
    campaign: str | None
    contacts: tuple[ContactRecord, ...]


Problems = list[tuple[str, str]]
"""(column, message) pairs for one row."""


def validate_row(row: int, values: dict[str, str]) -> tuple[CaseRecord | None, Problems]:
    """Check every field of a row; return the record, or None and every problem found.

    A cell with a forbidden character or too long for its column gets that one problem:
    the column's own rules would only repeat it.
    """
    flagged = cell_problems(values)
    if not flagged:
        return _validate_fields(row, values)
    bad = {column for column, _ in flagged}
    _, problems = _validate_fields(row, {k: v for k, v in values.items() if k not in bad})
    return None, flagged + [(column, msg) for column, msg in problems if column not in bad]


def _validate_fields(row: int, values: dict[str, str]) -> tuple[CaseRecord | None, Problems]:
    problems: Problems = []
    text = {key: value.strip() for key, value in values.items()}
    for key in ("client_bank", "account_no", "debtor_name"):
        if not text.get(key):
            problems.append((key, "required"))
    resident_id = _resident_id(text.get("resident_id", ""), problems)
    numbers = _debtor_numbers(text, problems)
    amount = _amount_cents(text.get("amount_overdue", ""), problems)
    days = _days_past_due(text.get("days_past_due", ""), problems)
    account_class = _account_class(text.get("account_class", ""), problems)
    status = _status(text.get("status", ""), problems)
    contacts = tuple(c for n in range(1, MAX_CONTACTS + 1) if (c := _contact(n, text, problems)))
    if problems or resident_id is None or amount is None or days is None:
        return None, problems
    record = CaseRecord(
        row=row,
        client_bank=text["client_bank"],
        account_no=text["account_no"],
        debtor_name=text["debtor_name"],
        resident_id=resident_id,
        numbers=numbers,
        amount_overdue_cents=amount,
        days_past_due=days,
        account_class=account_class,
        status=status,
        campaign=text.get("campaign") or None,
        contacts=contacts,
    )
    return record, []


PROVINCE_CODES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
        71,
        81,
        82,
    }
)


def _resident_id(raw: str, problems: Problems) -> str | None:
    """Length, digits, ISO 7064 checksum, a real birth date and a province code.

    County codes are not checked: they change over the years and an incomplete
    table would reject real debtors.
    """
    if not raw:
        problems.append(("resident_id", "required"))
        return None
    candidate = raw.upper()
    if len(candidate) != 18:
        problems.append(("resident_id", f"must be 18 characters, got {len(candidate)}"))
        return None
    if (
        not candidate[:17].isascii()
        or not candidate[:17].isdigit()
        or candidate[17] not in "0123456789X"
    ):
        problems.append(("resident_id", "must be 17 digits followed by a digit or X"))
        return None
    expected = ric.calc_check_digit(candidate)
    if candidate[17] != expected:
        problems.append(("resident_id", f"checksum fails: last character should be {expected}"))
        return None
    if int(candidate[:2]) not in PROVINCE_CODES:
        problems.append(("resident_id", f"unknown province code {candidate[:2]}"))
        return None
    try:
        ric.get_birth_date(candidate)
    except StdnumError:
        problems.append(("resident_id", f"birth date {candidate[6:14]} is not a valid date"))
        return None
    return candidate


def _cn_mobile_pattern() -> re.Pattern[str]:
    metadata = PhoneMetadata.metadata_for_region("CN")
    pattern = metadata.mobile.national_number_pattern if metadata and metadata.mobile else None
    if not pattern:
        raise RuntimeError("phonenumbers has no mainland-China mobile pattern")
    return re.compile(str(pattern))


_CN_MOBILE = _cn_mobile_pattern()
_PLAIN_CN_MOBILE = re.compile(r"(?:\+?86)?(1\d{10})")
_SEPARATORS = str.maketrans("", "", " -")


def parse_phone(raw: str) -> NumberRecord | str:
    """Normalise a phone number (mainland China by default) or return why it is invalid.

    Plain mainland mobiles, most of any case file, are matched directly against
    phonenumbers' own CN mobile pattern: full parsing costs ~100 µs a number.
    """
    plain = _PLAIN_CN_MOBILE.fullmatch(raw.translate(_SEPARATORS))
    if plain and _CN_MOBILE.fullmatch(plain.group(1)):
        return NumberRecord(e164="+86" + plain.group(1), kind=NumberKind.MOBILE)
    return parse_phone_fully(raw)


def parse_phone_fully(raw: str) -> NumberRecord | str:
    """The general path through phonenumbers, for every shape of number."""
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return f"not a phone number: {raw!r}"
    number_type = phonenumbers.number_type(parsed)
    if number_type == phonenumbers.PhoneNumberType.UNKNOWN or not phonenumbers.is_valid_number(
        parsed
    ):
        return f"not a valid phone number: {raw!r}"
    kind = (
        NumberKind.MOBILE
        if number_type == phonenumbers.PhoneNumberType.MOBILE
        else (NumberKind.OTHER)
    )
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return NumberRecord(e164=e164, kind=kind)


def _debtor_numbers(text: dict[str, str], problems: Problems) -> tuple[NumberRecord, ...]:
    numbers: list[NumberRecord] = []
    for column in DEBTOR_PHONE_COLUMNS:
        raw = text.get(column, "")
        if not raw:
            continue
        parsed = parse_phone(raw)
        if isinstance(parsed, str):
            problems.append((column, parsed))
        elif all(n.e164 != parsed.e164 for n in numbers):
            kind = parsed.kind if column == "mobile" else _KIND_OF_COLUMN[column]
            numbers.append(NumberRecord(parsed.e164, kind))
    if not any(text.get(column) for column in DEBTOR_PHONE_COLUMNS):
        problems.append(
            ("mobile", "the debtor needs at least one of mobile, home_phone, work_phone")
        )
    return tuple(numbers)


def _amount_cents(raw: str, problems: Problems) -> int | None:
    if not raw:
        problems.append(("amount_overdue", "required"))
        return None
    amount = parse_yuan(raw)
    if isinstance(amount, str):
        problems.append(("amount_overdue", amount))
        return None
    if amount < 0:
        problems.append(("amount_overdue", f"must be ≥ 0, got {raw}"))
        return None
    cents = yuan_to_cents(amount, raw)
    if isinstance(cents, str):
        problems.append(("amount_overdue", cents))
        return None
    return cents


def _days_past_due(raw: str, problems: Problems) -> int | None:
    if not raw:
        problems.append(("days_past_due", "required"))
        return None
    if not raw.isascii() or not raw.isdigit():
        problems.append(("days_past_due", f"must be a whole number ≥ 0, got {raw!r}"))
        return None
    days = int(raw)
    if days > 36500:
        problems.append(("days_past_due", f"implausibly large: {raw}"))
        return None
    return days


def _account_class(raw: str, problems: Problems) -> AccountClass | None:
    if not raw:
        return None
    try:
        return AccountClass(raw.upper())
    except ValueError:
        problems.append(("account_class", f"must be one of A, B, C, D, got {raw!r}"))
        return None


def _status(raw: str, problems: Problems) -> CaseStatus | None:
    if not raw:
        return None
    status = STATUS_ALIASES.get(raw.lower())
    if status is None:
        problems.append(("status", f"unknown status {raw!r}"))
    return status


def _contact(n: int, text: dict[str, str], problems: Problems) -> ContactRecord | None:
    name = text.get(f"contact{n}_name", "")
    raw_relation = text.get(f"contact{n}_relation", "")
    raw_phone = text.get(f"contact{n}_phone", "")
    if not (name or raw_relation or raw_phone):
        return None
    ok = True
    for key, value in (
        (f"contact{n}_name", name),
        (f"contact{n}_relation", raw_relation),
        (f"contact{n}_phone", raw_phone),
    ):
        if not value:
            problems.append((key, f"required when contact {n} is given"))
            ok = False
    relation = RELATION_ALIASES.get(raw_relation.lower()) if raw_relation else None
    if raw_relation and relation is None:
        problems.append((f"contact{n}_relation", f"unknown relation {raw_relation!r}"))
        ok = False
    number = parse_phone(raw_phone) if raw_phone else None
    if isinstance(number, str):
        problems.append((f"contact{n}_phone", number))
        ok = False
    if not ok or relation is None or not isinstance(number, NumberRecord):
        return None
    word = "" if raw_relation.lower() in GENERIC_RELATION_WORDS else raw_relation
    return ContactRecord(name=name, relation=relation, number=number, word=word)
