"""An admin's file that cannot be used is refused in the admin's language: the validation
library's and the TOML parser's English never reach the page, and every problem still names
the file, the line or key, and what is wrong (issue 20)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_calendar import MADE_UP_2027
from tests.test_i18n_pages import _as
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import Seed, console_app, seed_console

ROOT = Path(__file__).resolve().parent.parent
LIBRARY_ENGLISH = (
    "Input should",
    "Extra inputs",
    "Field required",
    "Value error",
    "Invalid isoformat",
    "Expected ']",
    "at line",
)
SAID = {
    "zh_CN": {
        "policy": (
            "cn-default.toml: colour：未知的键",
            "时段应写成",
            "未知的时区 &#39;Mars/Base&#39;",
        ),
        "lexicon": ("cn-default.toml:1：不是有效的 TOML：表头缺少结尾的“]]”",),
        "calendar": ("workdays[0]：2027-02-10 是星期三：调休上班日必须在周末",),
    },
    "en": {
        "policy": (
            "cn-default.toml: colour: unknown key",
            "write a slot as &#39;HH:MM-HH:MM&#39;",
            "unknown time zone &#39;Mars/Base&#39;",
        ),
        "lexicon": ("cn-default.toml:1: not valid TOML: a table header lacks its closing",),
        "calendar": ("workdays[0]: 2027-02-10 is a Wednesday: adjusted working days",),
    },
}


@pytest.fixture
def bare(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, [])
    app.engine.dispose()


def _refused_page(client: object, path: str, data: dict[str, str]) -> str:
    reply = client.post(path, data=data)  # type: ignore[attr-defined]
    assert reply.status_code == 422, reply.text[-600:]
    text: str = reply.text
    for english in LIBRARY_ENGLISH:
        assert english not in text, (english, text[-1500:])
    return text


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_refused_file_is_explained_in_the_admins_language(bare: Seed, locale: str) -> None:
    client, token = _as(bare, "admin1", locale)
    policy = (ROOT / "config/policy/cn-default.toml").read_text(encoding="utf-8")
    policy = policy.replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Base"\ncolour = "red"')
    policy = policy.replace('"08:00-11:00",', '"8-11",')
    pages = {
        "policy": _refused_page(
            client, "/admin/files/policy/cn-default", {"content": policy, "csrf": token}
        ),
        "lexicon": _refused_page(
            client,
            "/admin/files/lexicon/cn-default",
            {"content": "[[categories]\nbad", "csrf": token},
        ),
        "calendar": _refused_page(
            client,
            "/admin/calendar/preview",
            {
                "content": MADE_UP_2027.replace('"2027-02-06", "2027-02-20"', '"2027-02-10"'),
                "csrf": token,
            },
        ),
    }
    for kind, words in SAID[locale].items():
        for said in words:
            assert said in pages[kind], (kind, said, pages[kind][-1500:])
    # nothing was put in force
    assert not (bare.app.paths.admin_dir("policy") / "cn-default.toml").exists()
    assert not (bare.app.paths.admin_dir("lexicon") / "cn-default.toml").exists()


@pytest.mark.parametrize(
    ("locale", "said", "not_said"),
    [
        (
            "zh_CN",
            ("2027-02-06（周六）", "周末", "调休上班日", "2027：已覆盖（管理员录入）"),
            ("(Sat)", "weekend", "admin data"),
        ),
        (
            "en",
            ("2027-02-06 (Sat)", "weekend", "adjusted working day", "2027: covered (admin data)"),
            ("周六", "周末", "管理员录入"),
        ),
    ],
)
def test_the_calendar_preview_and_cover_speak_the_admins_language(
    bare: Seed, locale: str, said: tuple[str, ...], not_said: tuple[str, ...]
) -> None:
    client, token = _as(bare, "admin1", locale)
    preview = client.post("/admin/calendar/preview", data={"content": MADE_UP_2027, "csrf": token})
    kept = client.post("/admin/calendar", data={"content": MADE_UP_2027, "csrf": token})
    assert preview.status_code == kept.status_code == 200
    for words in said:
        assert words in preview.text + kept.text, (words, preview.text[-1500:])
    for words in not_said:
        assert words not in preview.text + kept.text, words


def test_a_profiles_own_calendar_year_is_refused_in_words(tmp_path: Path) -> None:
    from compliance.errors import ProfileError  # noqa: PLC0415
    from compliance.policy import load_profile  # noqa: PLC0415
    from tests.helpers import english  # noqa: PLC0415

    path = tmp_path / "p.toml"
    path.write_text(
        'id = "p"\nversion = "1"\n[[calendar]]\nyear = 2027\n'
        "holidays = [2026-01-01, 2027-01-01]\nworkdays = [2027-01-01]\n",
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert english(caught.value) == [f"{path}: calendar[0] (2027): not in 2027: 2026-01-01"]
    assert "不在 2027 年内" in str(caught.value)
    path.write_text(path.read_text("utf-8").replace("2026-01-01, ", ""), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert english(caught.value) == [
        f"{path}: calendar[0] (2027): both a holiday and an adjusted working day: 2027-01-01"
    ]


@pytest.mark.parametrize(
    ("locale", "said", "not_said"),
    [
        (
            "zh_CN",
            ("<title>拨打策略文件 cn-default", "（首次编辑前）", "恢复为第 1 版", "没有名为"),
            ("(before first edit)", "restored version", " policy", "(nothing)"),
        ),
        (
            "en",
            (
                "<title>Dial-policy profile cn-default",
                "(before the first edit)",
                "restored version 1",
            ),
            ("首次编辑前", "恢复为", "拨打策略"),
        ),
    ],
)
def test_the_editors_versions_speak_the_admins_language(
    bare: Seed, locale: str, said: tuple[str, ...], not_said: tuple[str, ...]
) -> None:
    """An admin saves a profile, then puts version 1 back: the editor's title, who saved the
    shipped text and the restore's note are in the admin's language."""
    client, token = _as(bare, "admin1", locale)
    path = "/admin/files/policy/cn-default"
    shipped = client.get(path).text
    assert "<title>" in shipped
    policy = (ROOT / "config/policy/cn-default.toml").read_text(encoding="utf-8")
    saved = client.post(path, data={"content": policy + "\n# edited\n", "csrf": token})
    assert saved.status_code == 200
    put_back = client.post(f"{path}/versions/1/restore", data={"csrf": token})
    assert put_back.status_code in (200, 303)
    pages = client.get(path).text + client.get(f"{path}/versions/1").text
    pages += client.get("/admin/files/policy/nope").text
    for words in said:
        assert words in pages, (words, pages[-2000:])
    for words in not_said:
        assert words not in pages, words


def test_a_parent_that_does_not_exist_is_named_without_the_servers_scratch_folder(
    bare: Seed,
) -> None:
    client = console_client(bare.app, FakeDialer(bare.app))
    token = login(client, "admin1")
    policy = (ROOT / "config/policy/cn-default.toml").read_text(encoding="utf-8")
    policy = policy.replace('extends = "cn-cba-2026"', 'extends = "nope-x"')
    page = _refused_page(
        client, "/admin/files/policy/cn-default", {"content": policy, "csrf": token}
    )
    assert "找不到名为“nope-x”的拨打策略" in page, page[-1500:]
    # the scratch copy (tempfile's /tmp/tmpXXXX) stands for the admins' folder, which is named
    assert "/tmp/tmp" not in page and str(bare.app.paths.admin_dir("policy")) in page
    assert "、" in page.split("nope-x")[1][:400]


def test_a_bad_entry_is_one_problem_not_also_a_list_too_short(tmp_path: Path) -> None:
    """The validation library, having dropped the bad holiday, also found the list of
    holidays too short: an echo of the same fault, not a second one."""
    from compliance.errors import ProfileError  # noqa: PLC0415
    from compliance.policy.year_data import parse_year  # noqa: PLC0415
    from tests.helpers import english  # noqa: PLC0415

    path = tmp_path / "cn-2027.toml"
    path.write_text(
        'year = 2027\nsource = "x"\n[[holidays]]\nname = "元旦"\nfirst = 2027-01-01\n'
        "last = 2027-01-01\ndays = 3\n",
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as caught:
        parse_year(path, path.read_bytes())
    assert english(caught.value) == [f"{path}: holidays[0] (元旦).days: unknown key"]
