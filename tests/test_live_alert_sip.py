"""An impersonation said over real SIP reaches a team lead's open wallboard in Chromium, and
the whisper prompt goes to the agent alone (issue 18 item 6).

The sandbox dials a simulated phone that plays cw07's callee while the agent's phone plays
cw07's agent, who claims to be the police 4.7–9.6 s in. The live follower hears the call from
MixMonitor's spool (the located stand-in recogniser: the route and the actions, not Whisper),
raises the alert and plays the prompt (a 3 kHz tone) through ChanSpy's whisper on the agent's
leg. The lead's board in Chromium shows the alert without a reload; AMI shows the whisper
attached to the agent's channel; the callee's direction (what was sent to the callee) holds no
trace of the tone. That the agent's phone hears it is measured in tests/test_spy_sip.py.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import wave
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from config import Settings
from config.settings import DatabaseSettings, PathSettings
from console.app import build_app
from console.enum_names import CATEGORY_ZH
from console.listen_in import ListenIn, prompter
from console.teams import add_team, assign_agent, set_supervisor
from console.users import add_user
from dialer.ami import AmiEvent, PystAmi
from store.db import SessionFactory
from store.enums import Role
from store.models import AuditLog, CallAttempt, LiveAlert
from tests.browser import chromium, log_in, served, watch_problems
from tests.test_campaign import Network, campaign, network  # noqa: F401 (the fixture)
from tests.test_live import Located, deps
from tests.test_reservation import at
from tests.test_spy_sip import _write_tone
from tests.webclient import FakeDialer
from tests.webdata import PASSWORD
from transcriber.live import SpoolWatcher

pytestmark = [pytest.mark.asterisk, pytest.mark.browser, pytest.mark.slow]
RATE = 8000
TONE_HZ = 3000.0
"""The prompt: a tone that speech does not hold as a sustained pure line."""


def tone_windows(path: Path) -> int:
    """Half seconds in which the prompt's tone stands as a pure line over its neighbourhood."""
    with wave.open(str(path)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(float)
    frame = RATE // 2
    freqs = np.fft.rfftfreq(frame, 1 / RATE)
    line = int(np.argmin(np.abs(freqs - TONE_HZ)))
    around = (np.abs(freqs - TONE_HZ) < 300) & (np.abs(freqs - TONE_HZ) > 20)
    found = 0
    for start in range(0, len(samples) - frame + 1, frame):
        spectrum = np.abs(np.fft.rfft(samples[start : start + frame] * np.hanning(frame)))
        peak, floor = spectrum[line], float(np.median(spectrum[around])) + 1e-9
        found += int(peak > 20 * floor and peak > 1000 * frame / 4)
    return found


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_impersonation_over_sip_alerts_the_open_board_and_prompts_the_agent_alone(
    sessions: SessionFactory, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    net: Network = request.getfixturevalue("network")
    police = net.items[2]  # tests/test_campaign.py's PLAN: cw07
    app = build_app(
        Settings(
            database=DatabaseSettings(url=db_url), paths=PathSettings(var_dir=tmp_path / "var")
        )
    )
    with app.sessions.begin() as session:  # sup1 leads A01's team
        add_team(session, "T1", "催收一组", "test")
        assign_agent(session, "A01", "T1", "test")
        add_user(session, "sup1", Role.SUPERVISOR, PASSWORD, "test")
        set_supervisor(session, "sup1", "T1", "test")
    _write_tone(net.core.home / "sounds" / "prompt.wav", TONE_HZ, 3.0)

    def ami() -> PystAmi:
        return PystAmi("127.0.0.1", net.core.ami_port, net.core.ami_user, net.core.ami_secret)

    watching = ami()  # the test's own view of the PBX: where ChanSpy attaches
    events: list[AmiEvent] = []
    watching.on_event(events.append)
    began = time.monotonic()
    live = dataclasses.replace(
        deps(sessions, Located("cw07")),
        clock=lambda: at(10) + timedelta(seconds=time.monotonic() - began),
        prompt=prompter(ListenIn(ami), f"{net.core.home_inside}/sounds/prompt"),
    )
    errors: list[tuple[int, Exception]] = []
    watcher = SpoolWatcher(live, net.core.recordings, lambda a, e: errors.append((a, e)))
    follower = threading.Thread(target=watcher.run)
    dialler = threading.Thread(
        target=lambda: campaign(sessions, net.core, net.gate, {1: [police]}, at(10)).run()
    )
    try:
        with served(app, FakeDialer(app)) as base, chromium() as browser:
            page = browser.new_page(locale="zh-CN")
            problems = watch_problems(page)
            log_in(page, base, "sup1")
            page.goto(f"{base}/team/live")
            expect(page.locator("#live-status")).to_have_attribute("data-live", "yes")
            follower.start()
            dialler.start()
            card = page.locator("article.live-alert").first
            # named as the lead reads it (issue 20), not by its id
            expect(card).to_contain_text(CATEGORY_ZH["impersonation"], timeout=40_000)
            expect(card.locator("blockquote")).to_contain_text("公安")
            dialler.join(timeout=90)
            assert problems == []
    finally:
        watcher.stop.set()
        follower.join(timeout=30)
        dialler.join(timeout=90)
        watching.close()
        app.engine.dispose()
    assert not dialler.is_alive() and not follower.is_alive() and errors == []
    with sessions() as session:
        attempt = session.scalars(select(CallAttempt)).one()
        [alert] = session.scalars(select(LiveAlert))
        [prompted] = session.scalars(
            select(AuditLog).where(AuditLog.action == "live.whisper_prompt")
        )
    assert alert.call_attempt_id == attempt.id and alert.category == "impersonation"
    assert (prompted.detail or {}).get("placed") is True, prompted.detail
    # ChanSpy whispered on the agent's leg of this call (linked to it), not the callee's
    # channel (which carries the attempt's own id)
    call = f"cw-attempt-{attempt.id}"
    spies = [e.headers for e in events if e.name == "ChanSpyStart"]
    assert [(h["SpyeeLinkedid"], h["SpyeeUniqueid"] != call) for h in spies] == [(call, True)]
    to_callee = net.core.recordings / f"attempt-{attempt.id}-tx.wav"
    assert to_callee.stat().st_size > 44 + RATE * 2 * 10  # the agent's speech reached them
    assert tone_windows(to_callee) == 0
    # the measure finds the tone where it is, also under the agent's speech
    prompt = net.core.home / "sounds" / "prompt.wav"
    assert tone_windows(prompt) == 6
    assert tone_windows(_mixed(to_callee, prompt, tmp_path / "mixed.wav")) >= 5


def _mixed(speech: Path, tone: Path, out: Path) -> Path:
    with wave.open(str(speech)) as a, wave.open(str(tone)) as b:
        said = np.frombuffer(a.readframes(a.getnframes()), dtype="<i2").astype(int)
        played = np.frombuffer(b.readframes(b.getnframes()), dtype="<i2").astype(int)
    start = 5 * RATE  # over the police claim
    said[start : start + len(played)] += played // 4  # quieter than the speech
    with wave.open(str(out), "wb") as mixed:
        mixed.setnchannels(1)
        mixed.setsampwidth(2)
        mixed.setframerate(RATE)
        mixed.writeframes(np.clip(said, -32768, 32767).astype("<i2").tobytes())
    return out
