"""What a hostile or careless user typed is refused in the reader's language, never with a
library's English, a server path or a 500 (found by a fresh-eyes pass over both languages)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store.models import CallAttempt, CollectionNote, Recording, User
from tests.test_complaints_web import _open as _open_complaint
from tests.test_i18n_pages import CALLS, _as
from tests.webdata import Seed, console_app, seed_console

ENGLISH_LEAKS = ("is not a valid", "did not seem to be", "at least 8 characters", "Not Found")


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, CALLS, agent_calls=1)
    app.engine.dispose()


def _notes(seed: Seed) -> int:
    with seed.app.sessions() as session:
        return session.scalar(select(func.count()).select_from(CollectionNote)) or 0


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("zh_CN", ["分类须为 A、B、C、D 之一", "不是电话号码", "密码：至少 8 个字符"]),
        ("en", ["class: one of A, B, C, D", "not a phone number", "password: at least 8"]),
    ],
)
def test_a_bad_class_number_or_password_is_refused_in_the_readers_language(
    seed: Seed, locale: str, said: list[str]
) -> None:
    agent, token = _as(seed, "agent1", locale)
    notes = _notes(seed)
    form = {"attempt_id": str(seed.attempts["cw07"]), "outcome": "negotiating", "text": "约定"}
    bad_class = agent.post("/agent/notes", data={**form, "account_class": "Z", "csrf": token})
    assert bad_class.status_code in (400, 409, 422) and said[0] in bad_class.text
    assert _notes(seed) == notes  # nothing stored
    admin, token = _as(seed, "admin1", locale)
    bad_number = admin.post("/admin/dnc", data={"number": "-1", "reason": "x", "csrf": token})
    assert said[1] in bad_number.text
    with seed.app.sessions() as session:
        qa1 = session.scalars(select(User).where(User.username == "qa1")).one().id
    short = admin.post(f"/admin/users/{qa1}/password", data={"password": "x", "csrf": token})
    assert said[2] in short.text
    for page in (bad_class, bad_number, short):
        if locale == "zh_CN":
            assert not any(leak in page.text for leak in ENGLISH_LEAKS), page.text[-500:]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_window_to_the_end_of_time_is_a_400_not_a_500(seed: Seed, locale: str) -> None:
    client, token = _as(seed, "qa1", locale)
    form = {"csrf": token, "case_id": "1", "channel": "phone", "alleged": "x"}
    for bound in ({"to": "9999-12-31"}, {"from": "0001-01-01"}):
        reply = client.post("/complaints", data={**form, **bound})
        assert reply.status_code == 400, reply.text[-500:]
        assert ("日期超出范围" if locale == "zh_CN" else "date out of range") in reply.text


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("zh_CN", r"证据包未生成：录音 \d+：归档中没有它的文件"),
        ("en", r"recording \d+: its file is not"),
    ],
)
def test_a_bundle_refused_for_a_missing_file_names_the_recording_not_the_path(
    seed: Seed, locale: str, said: str
) -> None:
    client, token = _as(seed, "qa1", locale)
    ident = _open_complaint(seed, client, token)
    with seed.app.sessions() as session:
        paths = [Path(p) for p in session.scalars(select(Recording.path))]
    for path in paths:
        path.unlink()
    reply = client.post(f"/complaints/{ident}/bundle", data={"csrf": token})
    assert reply.status_code == 409 and re.search(said, reply.text), reply.text[-500:]
    assert str(paths[0].parent) not in reply.text  # the server's folders are no one's business


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("zh_CN", ["未找到该页面", "此网址不接受该请求方法"]),
        ("en", ["no such page", "this address does not take"]),
    ],
)
def test_the_frameworks_own_refusals_are_in_the_readers_language(
    seed: Seed, locale: str, said: list[str]
) -> None:
    client, token = _as(seed, "agent1", locale)
    missing = client.get("/nope")
    wrong_method = client.delete("/agent")
    assert missing.status_code == 404 and said[0] in missing.text
    assert wrong_method.status_code == 405 and said[1] in wrong_method.text
    big = client.post(
        "/agent/notes",
        data={"attempt_id": "1", "outcome": "other", "text": "长" * 700_000, "csrf": token},
    )
    assert big.status_code in (400, 413) and "Field exceeded" not in big.text
    assert ("表单字段过大" if locale == "zh_CN" else "form field too large") in big.text


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        (
            "zh_CN",
            ["催收员无权打开此页", "今日到期、承诺到期、从未联系、我的停催", "常规、重要、严重"],
        ),
        (
            "en",
            ["the role agent may not open this page", "Due today, Promises due,", "outine, "],
        ),
    ],
)
def test_a_refusal_lists_choices_and_roles_by_their_names(
    seed: Seed, locale: str, said: list[str]
) -> None:
    """Not the ids the code keeps (agent, due_today, serious), joined as the reader's
    language joins a list."""
    agent, token = _as(seed, "agent1", locale)
    forbidden = agent.get("/admin/holds")
    assert forbidden.status_code == 403 and said[0] in forbidden.text
    unknown = agent.get("/agent?show=zzz")
    assert unknown.status_code == 422 and said[1] in unknown.text
    assert "due_today" not in unknown.text
    qa, token = _as(seed, "qa1", locale)
    form = {"csrf": token, "case_id": "1", "channel": "phone", "alleged": "x", "grade": "bad"}
    grade = qa.post("/complaints", data=form)
    assert grade.status_code == 400 and said[2] in grade.text
    if locale == "zh_CN":
        assert "serious" not in grade.text


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        (
            "zh_CN",
            ["日期：9999-12-31 超出", "月份：9999-12 超出", "通话：没有这个编号", "生效时间："],
        ),
        (
            "en",
            [
                "Date: 9999-12-31 is outside",
                "Month: 9999-12 is outside",
                "Call: no such number",
                "Valid from:",
            ],
        ),
    ],
)
def test_a_day_or_an_id_past_the_calendar_is_refused_not_a_server_error(
    seed: Seed, locale: str, said: list[str]
) -> None:
    """A hostile reader's far-off day (9999-12-31, 9999-12) or an id past the databases'
    integers overflowed inside the report or the query (500); each is refused naming the field
    by its label."""
    lead, _ = _as(seed, "sup1", locale)
    for path in ("/team/progress?date=9999-12-31", "/team/progress.xlsx?date=9999-12-31"):
        page = lead.get(path)
        assert page.status_code == 400 and said[0] in page.text, (path, page.text[-500:])
    for path in ("/team/ranking?month=9999-12", "/team/ranking.csv?month=9999-12"):
        page = lead.get(path)
        assert page.status_code == 400 and said[1] in page.text, (path, page.text[-500:])
    agent, token = _as(seed, "agent1", locale)
    with seed.app.sessions() as session:
        case_id = session.get_one(CallAttempt, seed.attempts["cw07"]).case_id
    form = {"csrf": token, "scope": "window", "valid_until": "2026-12-31 00:00"}
    for extra, expected in (
        ({"valid_from": "2026-12-01 09:00", "call_attempt_id": "9" * 20}, said[2]),
        ({"valid_from": "9999-12-31 23:59", "call_attempt_id": ""}, said[3]),
    ):
        page = agent.post(f"/agent/cases/{case_id}/consents", data={**form, **extra})
        assert page.status_code < 500 and expected in page.text, (extra, page.text[-800:])


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("zh_CN", ["s 对方：", "关联期间自：日期格式应为", "至：日期超出范围"]),
        ("en", ["s Callee: ", "Link from: not a date", "to: date out of range"]),
    ],
)
def test_a_complaint_from_a_flag_is_drafted_and_refused_in_the_readers_language(
    seed: Seed, locale: str, said: list[str]
) -> None:
    """The complaint drafted from a callee's flag names who said it as the reader reads it,
    and a bad window day names its field by the form's label."""
    from tests.test_complaints_web import _complaint_flag  # noqa: PLC0415

    qa, token = _as(seed, "qa1", locale)
    flag = _complaint_flag(seed)
    form = qa.get(f"/complaints/new?flag_id={flag}")
    assert form.status_code == 200 and said[0] in form.text, form.text[-1500:]
    case_id = re.search(r'name="case_id" value="(\d+)"', form.text)
    assert case_id is not None
    base = {"csrf": token, "case_id": case_id.group(1), "channel": "phone", "alleged": "x"}
    for extra, expected in (({"from": "yesterday"}, said[1]), ({"to": "0001-01-01"}, said[2])):
        page = qa.post("/complaints", data={**base, **extra})
        assert page.status_code == 400 and expected in page.text, page.text[-800:]
