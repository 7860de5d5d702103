"""The "listen to this" queue (待复听), on both databases: weak sound matches stored by the
pipeline apart from flags, never counted as flags, and QA's one-click promote or dismiss."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from console.app import App
from console.pipeline_cmd import cmd_calls_show
from recorder.intake import CallMetadata, store_recording
from store.enums import ReviewStatus
from store.models import Agent, AuditLog, Flag, Hold, PhoneNumber, ReviewItem
from store.review import review_seconds
from tests.dbdata import debtor_targets
from tests.test_pipeline import processor
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, CALLS, Seed, answered_call, console_app, seed_console
from transcriber import RecognisedText

WEAK = "我帮您分析一下您的还款情况。"
"""分析 is one confusion from 分期 (q/x): near a waiver promise, not near enough to flag."""


class Scripted:
    """Hears one channel's first stretch of speech as ``first`` and everything else as 好的."""

    def __init__(self, speaking: int, first: str) -> None:
        self.channel, self.speaking, self.first = 0, speaking, first

    def recognise_many(self, pieces: Sequence[np.ndarray]) -> list[RecognisedText]:  # type: ignore[type-arg]
        texts = ["好的。"] * len(pieces)
        if self.channel == self.speaking:
            texts[0] = self.first
        self.channel += 1
        return [RecognisedText(text, -0.1) for text in texts]


def weak_call(app: App, heard: str = WEAK, by_callee: bool = False) -> int:
    """A call by agent A01 through intake and the pipeline, its agent (or the callee) heard
    saying ``heard``."""
    sessions = app.sessions
    at = CALL_DAY + timedelta(hours=1)
    agent_channel = json.loads((CALLS / "cw01.json").read_text(encoding="utf-8"))["agent_channel"]
    target = debtor_targets(sessions)[0]
    with sessions.begin() as session:
        agent = session.scalars(select(Agent.id).where(Agent.code == "A01")).one()
        number = session.get_one(PhoneNumber, target.phone_number_id)
        attempt = answered_call(session, target.case_id, number, agent, at).id
    intake = store_recording(
        sessions,
        CALLS / "cw01.wav",
        app.paths.recordings,
        at,
        CallMetadata(call_attempt_id=attempt, agent_channel=agent_channel),
    )
    speaking = 1 - agent_channel if by_callee else agent_channel
    outcome = processor(sessions, Scripted(speaking, heard), now=at).process(intake.recording_id)
    assert outcome.status == "transcribed", outcome
    return intake.recording_id


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, ["cw07", "cw02"])
    app.engine.dispose()


@pytest.fixture
def client(seed: Seed) -> TestClient:
    return console_client(seed.app, FakeDialer(seed.app))


def counts(seed: Seed) -> tuple[int, int, int]:
    """(flags, open review items, review audit rows)."""
    with seed.app.sessions() as session:
        flags = session.scalar(select(func.count()).select_from(Flag)) or 0
        items = session.scalar(
            select(func.count())
            .select_from(ReviewItem)
            .where(ReviewItem.status == ReviewStatus.OPEN)
        )
        audits = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action.startswith("qa.review."))
        )
    return flags, items or 0, audits or 0


def report_flags(client: TestClient) -> str:
    header, *rows = client.get("/qa/report.csv").text.lstrip("\ufeff").splitlines()
    [a01] = [dict(zip(header.split(","), r.split(","), strict=True)) for r in rows]
    return a01["标记"]


def test_the_pipeline_stores_a_weak_match_as_a_review_item_not_a_flag(seed: Seed) -> None:
    flags_before = counts(seed)[0]
    recording = weak_call(seed.app)
    with seed.app.sessions() as session:
        (item,) = session.scalars(select(ReviewItem)).all()
        stored = session.scalar(
            select(func.count()).select_from(Flag).where(Flag.recording_id == recording)
        )
    assert stored == 0 and counts(seed) == (flags_before, 1, 0)
    assert (item.recording_id, item.category, item.rule_id) == (
        recording,
        "waiver_promise",
        "waiver.guarantee",
    )
    assert (
        item.evidence == WEAK and item.evidence[item.match_start : item.match_end] == "我帮您分析"
    )
    assert item.status is ReviewStatus.OPEN and item.severity >= 1 and item.cost > 0
    with seed.app.sessions() as session:
        # What the queue asks QA to hear: that utterance, over the 3 transcribed calls.
        assert review_seconds(session) == (3, pytest.approx(item.end_s - item.start_s))
    shown = io.StringIO()
    assert cmd_calls_show(seed.app, argparse.Namespace(call_id=str(recording)), shown) == 0
    text = shown.getvalue()
    assert "⚑" not in text and "待复听 / listen to this (1, not flags)" in text
    assert "waiver_promise (waiver.guarantee) “我帮您分析”" in text


def test_review_items_are_queued_apart_and_never_counted_as_flags(
    seed: Seed, client: TestClient
) -> None:
    login(client, "qa1")
    before = report_flags(client)
    recording = weak_call(seed.app)
    assert report_flags(client) == before
    assert f"/qa/calls/{recording}" not in client.get("/qa").text
    assert WEAK not in client.get("/qa/flags.csv").text
    queue = client.get("/qa/review")
    assert "待复听" in queue.text and f"/qa/calls/{recording}?t=" in queue.text
    assert '<mark class="weak">我帮您分析</mark>' in queue.text
    assert (
        f"/qa/calls/{recording}" not in client.get("/qa/review", params={"category": "threat"}).text
    )
    assert f"/qa/calls/{recording}" not in client.get("/qa/review", params={"agent": "A02"}).text
    assert (
        f"/qa/calls/{recording}" not in client.get("/qa/review", params={"from": "2026-12-02"}).text
    )
    assert client.get("/qa/review", params={"status": "maybe"}).status_code == 400
    call = client.get(f"/qa/calls/{recording}")
    assert "标记（0）" in call.text and "待复听（1）" in call.text
    assert "转为违规" in call.text and "无问题" in call.text
    assert "距离 0.25" in call.text
    with seed.app.sessions.begin() as session:  # the same line, as the model would list it
        session.scalars(select(ReviewItem)).one().rule_id = "model.waiver_promise"
    call = client.get(f"/qa/calls/{recording}")
    assert "模型把握 p 0.75" in call.text and "距离" not in call.text


def test_promote_makes_exactly_one_flag_that_says_a_person_made_it(
    seed: Seed, client: TestClient
) -> None:
    token = login(client, "qa1")
    recording = weak_call(seed.app)
    flags, _, _ = counts(seed)
    with seed.app.sessions() as session:
        item = session.scalars(select(ReviewItem.id)).one()
    reply = client.post(f"/qa/review/{item}/promote", data={"csrf": token})
    assert reply.status_code == 303 and reply.headers["location"].startswith(
        f"/qa/calls/{recording}#flag-"
    )
    again = client.post(f"/qa/review/{item}/promote", data={"csrf": token})
    assert again.status_code == 409
    assert counts(seed) == (flags + 1, 0, 1)
    with seed.app.sessions() as session:
        flag = session.scalars(select(Flag).where(Flag.recording_id == recording)).one()
        row = session.get_one(ReviewItem, item)
        audit = session.scalars(
            select(AuditLog).where(AuditLog.action == "qa.review.promote")
        ).one()
    assert (flag.category, flag.match_kind, flag.evidence) == ("waiver_promise", "qa", WEAK)
    assert (row.status, row.resolved_by, row.flag_id) == (ReviewStatus.PROMOTED, "qa1", flag.id)
    assert (audit.actor, audit.object_id, audit.detail["flag_id"]) == ("qa1", str(item), flag.id)
    # Now it is a flag, it is counted as one, and the queue no longer offers it.
    assert f"/qa/calls/{recording}" in client.get("/qa").text
    assert f"/qa/calls/{recording}?t=" not in client.get("/qa/review").text


def test_a_complaint_qa_heard_puts_the_case_on_hold_as_a_detected_one_would(
    seed: Seed, client: TestClient
) -> None:
    token = login(client, "qa1")
    # 投书: one confusion from 投诉 (said with 你们 after it, the model flags it outright)
    weak_call(seed.app, "我要投书。", by_callee=True)
    with seed.app.sessions() as session:
        item = session.scalars(select(ReviewItem)).one()
        assert (item.category, item.speaker.value) == ("complaint_tendency", "callee")
        assert session.scalar(select(func.count()).select_from(Hold)) == 0
    assert client.post(f"/qa/review/{item.id}/promote", data={"csrf": token}).status_code == 303
    with seed.app.sessions() as session:
        flag = session.scalars(select(Flag).where(Flag.match_kind == "qa")).one()
        hold = session.scalars(select(Hold)).one()
    assert hold.source_flag_id == flag.id and hold.cleared_at is None


def test_dismiss_closes_the_item_with_who_and_makes_no_flag(seed: Seed, client: TestClient) -> None:
    token = login(client, "qa1")
    weak_call(seed.app)
    flags, _, _ = counts(seed)
    with seed.app.sessions() as session:
        item = session.scalars(select(ReviewItem.id)).one()
    reply = client.post(
        f"/qa/review/{item}/dismiss", data={"csrf": token, "note": "说的是分析", "back": "queue"}
    )
    assert reply.status_code == 303 and reply.headers["location"] == "/qa/review"
    assert counts(seed) == (flags, 0, 1)
    assert client.post(f"/qa/review/{item}/promote", data={"csrf": token}).status_code == 409
    with seed.app.sessions() as session:
        row = session.get_one(ReviewItem, item)
    assert (row.status, row.resolved_by, row.note) == (ReviewStatus.DISMISSED, "qa1", "说的是分析")
    assert "无问题" in client.get("/qa/review", params={"status": "all"}).text
    assert client.post("/qa/review/999999/dismiss", data={"csrf": token}).status_code == 404


def test_an_agent_cannot_promote_and_a_post_without_csrf_changes_nothing(
    seed: Seed, client: TestClient
) -> None:
    weak_call(seed.app)
    flags, _, _ = counts(seed)
    with seed.app.sessions() as session:
        item = session.scalars(select(ReviewItem.id)).one()
    agent_token = login(client, "agent1")
    assert client.get("/qa/review").status_code == 403
    for action in ("promote", "dismiss"):
        reply = client.post(f"/qa/review/{item}/{action}", data={"csrf": agent_token})
        assert reply.status_code == 403
    login(client, "qa1")
    for action in ("promote", "dismiss"):
        assert client.post(f"/qa/review/{item}/{action}").status_code == 403
        forged = client.post(f"/qa/review/{item}/{action}", data={"csrf": "forged"})
        assert forged.status_code == 403
    assert counts(seed) == (flags, 1, 0)
