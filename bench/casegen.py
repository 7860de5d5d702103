"""Deterministic case files: the shipped sample, its test variants, and bench volumes.

python -m bench.casegen            # rewrite the committed sample and test fixtures
python -m bench.casegen OUT.csv N  # write N cases to OUT.csv (for benchmarks)
"""

from __future__ import annotations

import csv
import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
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
FIRST_BIRTHDAY = date(1960, 1, 1)
FIELDS = [c.name for c in COLUMNS if not c.name.startswith(("contact4", "contact5"))]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def resident_id(index: int, region: str) -> str:
    """A valid ID unique per index: the birth date and sequence number encode it."""
    birth = FIRST_BIRTHDAY + timedelta(days=index // 1000)
    body = f"{region}{birth:%Y%m%d}{index % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"


def case_rows(count: int, seed: int = 20261124) -> Iterator[dict[str, str]]:
    """``count`` plausible cases; the same seed always gives the same rows."""
    rng = random.Random(seed)
    for i in range(count):
        region, area = REGIONS[i % len(REGIONS)]
        row = {
            "client_bank": BANKS[i % 2],
            "account_no": f"62258{880000 + i * 37:08d}",
            "debtor_name": _name(rng),
            "resident_id": resident_id(i, region),
            "mobile": _mobile(rng),
            "home_phone": f"{area}-{rng.randint(50_000_000, 59_999_999)}" if i % 3 == 0 else "",
            "work_phone": f"{area}-{rng.randint(60_000_000, 69_999_999)}" if i % 4 == 0 else "",
            "amount_overdue": f"{rng.randint(800, 180_000)}.{rng.randint(0, 99):02d}",
            "days_past_due": str(rng.choice([3, 15, 31, 45, 62, 95, 120, 181, 365])),
            "account_class": rng.choice(["", "A", "B", "C", "D"]),
            "status": STATUSES[i % len(STATUSES)],
            "campaign": "2026-12-M1" if i % 2 == 0 else "2026-12-M2",
        }
        for n in range(1, rng.randint(1, 3) + 1):
            row[f"contact{n}_name"] = _name(rng)
            row[f"contact{n}_relation"] = rng.choice(RELATIONS)[0]
            row[f"contact{n}_phone"] = _mobile(rng)
        yield row


def write(path: Path, rows: Iterator[dict[str, str]], encoding: str, chinese: bool) -> None:
    """Write rows with canonical English headers, or Chinese headers and relations."""
    relation_zh = dict(RELATIONS)
    aliases = {c.name: c.aliases[0] for c in COLUMNS}
    header = [aliases[n] if chinese else n for n in FIELDS]
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            cells = [row.get(n, "") for n in FIELDS]
            if chinese:
                cells = [
                    relation_zh.get(c, c) if n.endswith("_relation") else c
                    for n, c in zip(FIELDS, cells, strict=True)
                ]
            writer.writerow(cells)


def write_samples(count: int = 60) -> None:
    write(ROOT / "config/samples/cases.csv", case_rows(count), "utf-8", chinese=False)
    write(ROOT / "tests/fixtures/cases_gbk.csv", case_rows(count), "gbk", chinese=True)
    write(ROOT / "tests/fixtures/cases_bom.csv", case_rows(count), "utf-8-sig", chinese=False)


if __name__ == "__main__":
    if len(sys.argv) == 3:
        write(Path(sys.argv[1]), case_rows(int(sys.argv[2])), "utf-8", chinese=False)
    else:
        write_samples()
