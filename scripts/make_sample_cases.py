"""Write the sample case files (deterministic): the shipped sample and its test variants.

    python scripts/make_sample_cases.py

writes config/samples/cases.csv (UTF-8, English headers) and, for the tests,
tests/fixtures/cases_gbk.csv (GBK, Chinese headers, as Excel in China saves)
and tests/fixtures/cases_bom.csv (UTF-8 with BOM).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from stdnum.cn import ric

from store.case_import.columns import COLUMNS

ROOT = Path(__file__).resolve().parent.parent
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "桂英",
    "建华",
    "志强",
    "海燕",
    "晓东",
    "国庆",
    "春梅",
]
REGIONS = [
    ("110101", "010"),
    ("310101", "021"),
    ("440106", "020"),
    ("330106", "0571"),
    ("510104", "028"),
]
BANKS = ["ICBC-CC", "CMB-CARD"]
MOBILE_PREFIXES = ["138", "139", "150", "151", "158", "186", "187", "135", "137", "189"]
RELATIONS = [
    ("family", "亲属"),
    ("colleague", "同事"),
    ("emergency", "紧急联系人"),
    ("other", "其他"),
]
STATUSES = ["active"] * 46 + ["stolen", "jailed", "deceased", "promised"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _resident_id(rng: random.Random, region: str) -> str:
    birth = f"{rng.randint(1965, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"{region}{birth}{rng.randint(0, 999):03d}"
    return body + ric.calc_check_digit(body + "0")


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"


def sample_rows(count: int = 60, seed: int = 20261124) -> list[dict[str, str]]:
    """``count`` plausible cases; the same seed always gives the same rows."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        region, area = REGIONS[i % len(REGIONS)]
        row = {
            "client_bank": BANKS[i % 2],
            "account_no": f"62258{880000 + i * 37:08d}",
            "debtor_name": _name(rng),
            "resident_id": _resident_id(rng, region),
            "mobile": _mobile(rng),
            "home_phone": f"{area}-{rng.randint(20_000_000, 89_999_999)}" if i % 3 == 0 else "",
            "work_phone": f"{area}-{rng.randint(60_000_000, 69_999_999)}" if i % 4 == 0 else "",
            "amount_overdue": f"{rng.randint(800, 180_000)}.{rng.randint(0, 99):02d}",
            "days_past_due": str(rng.choice([3, 15, 31, 45, 62, 95, 120, 181, 365])),
            "account_class": rng.choice(["", "A", "B", "C", "D"]),
            "status": STATUSES[i % len(STATUSES)],
            "campaign": "2026-12-M1" if i < count // 2 else "2026-12-M2",
        }
        for n in range(1, rng.randint(1, 3) + 1):
            relation = rng.choice(RELATIONS)[0]
            row[f"contact{n}_name"] = _name(rng)
            row[f"contact{n}_relation"] = relation
            row[f"contact{n}_phone"] = _mobile(rng)
        rows.append(row)
    return rows


def used_columns(rows: list[dict[str, str]]) -> list[str]:
    present = {key for row in rows for key in row}
    return [c.name for c in COLUMNS if c.name in present]


def write(path: Path, rows: list[dict[str, str]], encoding: str, chinese: bool) -> None:
    columns = used_columns(rows)
    relation_zh = dict(RELATIONS)
    header = [next(c for c in COLUMNS if c.name == n).aliases[0] if chinese else n for n in columns]
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            cells = [row.get(n, "") for n in columns]
            if chinese:
                cells = [
                    relation_zh.get(c, c) if n.endswith("_relation") else c
                    for n, c in zip(columns, cells, strict=True)
                ]
            writer.writerow(cells)


def main() -> None:
    rows = sample_rows()
    write(ROOT / "config/samples/cases.csv", rows, "utf-8", chinese=False)
    write(ROOT / "tests/fixtures/cases_gbk.csv", rows, "gbk", chinese=True)
    write(ROOT / "tests/fixtures/cases_bom.csv", rows, "utf-8-sig", chinese=False)


if __name__ == "__main__":
    main()
