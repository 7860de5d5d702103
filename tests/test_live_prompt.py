"""The ``whisper_prompt`` live action (issue 18 item 2): an agent's impersonation heard while
the call is up rings the prompt into the call once, after the hit's transaction, audit-logged
with the utterance; a PBX that refuses is logged as not placed. The prompt itself is
``dialer.spy.prompt_request`` (tests/test_listen_in.py); that only the agent hears it is
checked over real SIP in tests/test_spy_sip.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy import select

from console.listen_in import ListenIn, prompter
from dialer.testing import RecordingLink
from store.db import SessionFactory
from store.models import AuditLog, LiveAlert
from tests.dbdata import debtor_targets, load_sample
from tests.test_live import Located, deps, follow, play
from tests.test_pipeline import attempt_for


def _run_cw07(sessions: SessionFactory, folder: Path, link: RecordingLink | None) -> int:
    """Follow cw07 (the agent claims to be the police 4.7 s in) with this prompt link."""
    load_sample(sessions)
    attempt = attempt_for(sessions, debtor_targets(sessions)[0])
    live = deps(sessions, Located("cw07"))
    if link is not None:
        live = dataclasses.replace(live, prompt=prompter(ListenIn(lambda: link), "/s/reminder"))
    writer, _ = play("cw07", folder, speed=4.0)
    _, thread = follow(live, attempt, folder)
    writer.join()
    thread.join(timeout=30)
    assert not thread.is_alive()
    return attempt


def _audits(sessions: SessionFactory, action: str) -> list[AuditLog]:
    with sessions() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_an_impersonation_whispers_the_prompt_to_the_agent_once(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    link = RecordingLink()
    attempt = _run_cw07(sessions, tmp_path, link)
    [request] = link.requests
    assert request.channel == "Local/prompt@callwarden-prompt"
    assert request.variables["CW_SPY_GROUP"] == f"cwcall{attempt}"
    assert request.variables["__CW_PROMPT"] == "/s/reminder"
    with sessions() as session:
        [alert] = session.scalars(select(LiveAlert))
    assert alert.category == "impersonation" and "whisper_prompt" in alert.actions
    [prompted] = _audits(sessions, "live.whisper_prompt")
    assert prompted.actor == "live" and prompted.detail["placed"] is True
    assert "公安局" in prompted.detail["utterance"]
    assert prompted.detail["live_alert_id"] == alert.id
    [raised] = _audits(sessions, "live.alert")
    assert raised.detail["not_done"] == []  # carried out, not left for later


def test_a_refused_prompt_is_logged_as_not_placed(sessions: SessionFactory, tmp_path: Path) -> None:
    _run_cw07(sessions, tmp_path, RecordingLink(down="AMI: connection refused"))
    [refused] = _audits(sessions, "live.whisper_prompt")
    assert refused.detail["placed"] is False
    assert refused.detail["refused"] == "AMI: connection refused"


def test_without_a_prompt_set_up_the_alert_says_it_was_not_done(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    _run_cw07(sessions, tmp_path, None)
    assert _audits(sessions, "live.whisper_prompt") == []
    [raised] = _audits(sessions, "live.alert")
    assert raised.detail["not_done"] == ["whisper_prompt"]
