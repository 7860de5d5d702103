"""Pure row validation and encoding detection, without files or databases."""

from __future__ import annotations

import codecs

import pytest
from stdnum.cn import ric

from store.case_import.columns import resolve_header
from store.case_import.table import TableError, detect_encoding
from store.case_import.validate import validate_row
from store.enums import CaseStatus, NumberKind, Relation

GOOD = {
    "client_bank": "ICBC",
    "account_no": "6225",
    "debtor_name": "张三",
    "resident_id": "11010119900307451x",
    "mobile": "+86 138 1234 8000",
    "work_phone": "(010) 8888-6666",
    "amount_overdue": "¥1,234.5",
    "days_past_due": "35",
    "status": "在押",
    "contact1_name": "李四",
    "contact1_relation": "配偶",
    "contact1_phone": "13912345678",
}


def test_a_good_row_is_normalised() -> None:
    row = {**GOOD, "resident_id": "110101199003074514"}
    record, problems = validate_row(9, row)
    assert problems == [] and record is not None
    assert record.row == 9
    assert [(n.e164, n.kind) for n in record.numbers] == [
        ("+8613812348000", NumberKind.MOBILE),
        ("+861088886666", NumberKind.WORK),
    ]
    assert record.amount_overdue_cents == 123450
    assert record.status == CaseStatus.JAILED
    assert record.contacts[0].relation == Relation.FAMILY
    assert record.contacts[0].number.e164 == "+8613912345678"


def test_lower_case_x_check_digit_is_accepted_and_upper_cased() -> None:
    body = "11010519491231002"
    rid = body + ric.calc_check_digit(body + "0")
    record, problems = validate_row(2, {**GOOD, "resident_id": rid.lower()})
    assert problems == [] and record is not None and record.resident_id == rid


def test_a_row_needs_some_phone() -> None:
    row = {**GOOD, "resident_id": "110101199003074514", "mobile": "", "work_phone": ""}
    record, problems = validate_row(2, row)
    assert record is None
    assert problems == [
        ("mobile", "the debtor needs at least one of mobile, home_phone, work_phone")
    ]


def test_header_aliases_and_duplicates() -> None:
    names, problems = resolve_header(
        ["\ufeff委托方", "账号", "姓名", "身份证号", "手机", "逾期金额", "逾期天数", "卡号"]
    )
    assert names[:7] == [
        "client_bank",
        "account_no",
        "debtor_name",
        "resident_id",
        "mobile",
        "amount_overdue",
        "days_past_due",
    ]
    assert problems == [(7, "卡号", "column given twice (as column 2)")]


@pytest.mark.parametrize(
    ("sample", "encoding"),
    [
        ("账号,姓名\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "账号".encode(), "utf-8-sig"),
        ("账号,姓名\n".encode("gbk"), "gb18030"),
        ("账号,姓名\n".encode()[:-2], "utf-8"),  # a multibyte char cut by the sniff window
    ],
)
def test_detect_encoding(sample: bytes, encoding: str) -> None:
    assert detect_encoding(sample) == encoding


def test_detect_encoding_refuses_binary() -> None:
    with pytest.raises(TableError, match="binary"):
        detect_encoding(b"PK\x03\x04\x00\x00")
