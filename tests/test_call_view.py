"""One call view: ``calls show`` and the QA call page read the same view and mark the same
transcript lines, on both databases; and the one rule for which line a flag marks."""

from __future__ import annotations

import argparse
import io
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from console.pipeline_cmd import cmd_calls_show
from store.call_view import UtteranceView, call_view, flag_line
from store.enums import HoldReason, RecordingStatus, Speaker, Verdict
from store.models import Agent, Flag, Hold, PhoneNumber, Recording, ReviewVerdict, User, Utterance
from tests.dbdata import debtor_targets
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, Seed, answered_call, console_app, seed_console

AGENT, CALLEE = Speaker.AGENT, Speaker.CALLEE
# One call's transcript: (speaker, start, end, text). Whisper's segments adjoin: one line's
# end is the next one's start.
LINES = [
    (AGENT, 0.0, 2.0, "您好，我是银行的。"),
    (AGENT, 2.0, 4.5, "今天不还就去你单位闹。"),
    (CALLEE, 4.5, 6.0, "我要投诉你们。"),
    (AGENT, 6.004999, 8.0, "你家人也会知道的。"),
    (AGENT, 8.0, 10.0, "不还钱就让你好看，利息全免。"),
    (AGENT, 10.0, 12.0, "我们再商量一下。"),
    (AGENT, 12.0, 15.0, "你今天必须全部还清。"),
]
# (category, rule, speaker, start, end) and the line each flag is on.
FLAGS = [
    ("threat", "threat.workplace", AGENT, 2.0, 4.5, 1),  # its line's neighbour ends at 2.0
    ("complaint_tendency", "complaint.say", CALLEE, 4.5, 6.0, 2),
    # stored a hair past its line's start: rounded to 2 places, 6.01 against 6.00
    ("third_party_disclosure", "privacy.family", AGENT, 6.005001, 8.0, 3),
    ("threat", "threat.vague", AGENT, 8.0, 10.0, 4),  # two flags on one line
    ("waiver_promise", "waiver.interest", AGENT, 8.0, 10.0, 4),
    # across two lines, most of it on the later one
    ("pressure", "pressure.today", AGENT, 11.0, 14.0, 6),
]
EXPECTED = {index: sorted(f[0] for f in FLAGS if f[5] == index) for index in {f[5] for f in FLAGS}}


@dataclass(frozen=True)
class Call:
    seed: Seed
    recording_id: int
    flag_ids: list[int]
    case_id: int


@pytest.fixture
def call(db_url: str, tmp_path: Path) -> Iterator[Call]:
    app = console_app(db_url, tmp_path / "var")
    seed = seed_console(app, [])
    target = debtor_targets(app.sessions)[0]
    at = CALL_DAY + timedelta(hours=2)
    with app.sessions.begin() as session:
        agent = session.scalars(select(Agent.id).where(Agent.code == "A01")).one()
        number = session.get_one(PhoneNumber, target.phone_number_id)
        attempt = answered_call(session, target.case_id, number, agent, at)
        recording = Recording(
            call_attempt_id=attempt.id,
            sha256="ab" * 32,
            path="ab.wav",
            duration_s=15.0,
            size_bytes=1,
            status=RecordingStatus.TRANSCRIBED,
            created_at=at,
            repair_note="stale WAV header: read 15.0 s past the header's 9.0 s",
        )
        session.add(recording)
        session.flush()
        for speaker, start, end, text in LINES:
            session.add(
                Utterance(
                    recording_id=recording.id,
                    speaker=speaker,
                    start_s=start,
                    end_s=end,
                    text=text,
                    confidence=0.9,
                )
            )
        flags = [
            Flag(
                recording_id=recording.id,
                category=category,
                severity=3,
                speaker=speaker,
                start_s=start,
                end_s=end,
                evidence=LINES[line][3],
                rule_id=rule,
                detector_version="test",
                created_at=at,
            )
            for category, rule, speaker, start, end, line in FLAGS
        ]
        session.add_all(flags)
        session.flush()
        qa = session.scalars(select(User.id).where(User.username == "qa1")).one()
        session.add(
            ReviewVerdict(
                flag_id=flags[0].id, reviewer_id=qa, verdict=Verdict.PENALTY, created_at=at
            )
        )
        session.add(
            Hold(
                case_id=target.case_id,
                reason=HoldReason.COMPLAINT_TENDENCY,
                detail="4.5s: 我要投诉你们。",
                source_flag_id=flags[1].id,
                placed_by="detector",
                placed_at=at,
            )
        )
        ids = (recording.id, [f.id for f in flags])
    yield Call(seed, ids[0], ids[1], target.case_id)
    app.engine.dispose()


def _cli_text(call: Call) -> str:
    out = io.StringIO()
    code = cmd_calls_show(call.seed.app, argparse.Namespace(call_id=str(call.recording_id)), out)
    assert code == 0
    return out.getvalue()


def cli_lines(call: Call) -> dict[int, list[str]]:
    """The transcript lines ``calls show`` marks with ⚑, by position, with their categories."""
    lines = [line for line in _cli_text(call).splitlines() if line.startswith("[")]
    assert len(lines) == len(LINES)
    return {
        i: sorted(re.findall(r"⚑ (\S+) \(", line)) for i, line in enumerate(lines) if "⚑" in line
    }


def web_lines(call: Call) -> dict[int, list[str]]:
    """The transcript lines the QA call page marks as flagged, by position."""
    client = console_client(call.seed.app, FakeDialer(call.seed.app))
    login(client, "qa1")
    page = client.get(f"/qa/calls/{call.recording_id}")
    assert page.status_code == 200
    transcript = page.text.split('<section class="transcript">', 1)[1]
    lines = re.findall(r'<p class="line ([^"]*)">(.*?)</p>', transcript, re.DOTALL)
    assert len(lines) == len(LINES)
    marked = {
        i: sorted(re.findall(r'<a class="cat cat-([\w-]+)" href="#flag-', body))
        for i, (classes, body) in enumerate(lines)
        if "flagged" in classes.split()
    }
    assert all(marked.values())  # a line styled flagged names its flags
    return marked


def test_calls_show_marks_each_flag_on_its_own_line(call: Call) -> None:
    """The old CLI keyed flags on a start rounded to 2 places: the flag stored at 6.005001
    marked nothing, the one across two lines nothing, and of two flags on one line one."""
    assert cli_lines(call) == EXPECTED


def test_the_call_page_marks_each_flag_on_its_own_line_only(call: Call) -> None:
    """The old page marked every line a flag's span touched (within 0.01 s): the line
    ending where the flag's starts, and both lines of one across two."""
    assert web_lines(call) == EXPECTED


def test_cli_and_call_page_mark_the_same_lines(call: Call) -> None:
    assert cli_lines(call) == web_lines(call)


def test_calls_show_keeps_its_format(call: Call) -> None:
    text = _cli_text(call)
    assert text.startswith(f"recording {call.recording_id}  transcribed  15.0s  sha256 abababab")
    assert "  repaired (修复): stale WAV header" in text
    assert "[   2.0–   4.5] 坐席: 今天不还就去你单位闹。   ⚑ threat (threat.workplace)\n" in text
    assert "[   4.5–   6.0] 对方: 我要投诉你们。   ⚑ complaint_tendency (complaint.say)\n" in text
    assert "[   0.0–   2.0] 坐席: 您好，我是银行的。\n" in text


def test_the_view_holds_the_whole_call(call: Call) -> None:
    with call.seed.app.sessions() as session:
        view = call_view(session, call.recording_id)
        assert call_view(session, call.recording_id + 1000) is None
    assert view is not None
    assert view.attempt is not None and view.attempt.agent_code == "A01"
    assert view.attempt.case_id == call.case_id and view.contact_type == "debtor"
    assert (
        view.recording.repair_note is not None and "stale WAV header" in view.recording.repair_note
    )
    assert [(u.speaker, u.start_s, u.text) for u in (line.utterance for line in view.lines)] == [
        (speaker, start, text) for speaker, start, _, text in LINES
    ]
    assert all(line.utterance.confidence == pytest.approx(0.9) for line in view.lines)
    assert [f.id for f in view.flags] == call.flag_ids  # in the order said
    assert [f.line for f in view.flags] == [f[5] for f in FLAGS]
    (verdict,) = view.flags[0].verdicts
    assert (verdict.verdict, verdict.reviewer) == (Verdict.PENALTY, "qa1")
    assert view.flags[0].latest == verdict and view.flags[1].latest is None
    (event,) = view.callee_events
    assert (event.kind, event.flag_id, event.cleared_at) == ("hold", call.flag_ids[1], None)
    assert view.review == () and view.spot_check is None


def said(index: int, speaker: Speaker, start: float, end: float) -> UtteranceView:
    return UtteranceView(index, speaker, start, end, "…", None, ())


ADJOINING = [said(1, AGENT, 0.0, 2.0), said(2, AGENT, 2.0, 4.0), said(3, AGENT, 4.0, 6.0)]


@pytest.mark.parametrize(
    ("speaker", "start", "end", "line"),
    [
        (AGENT, 2.0, 4.0, 1),  # its own line, not the neighbours it touches
        (AGENT, 2.004999, 4.0, 1),  # stored a hair off (a rounding amount)
        (AGENT, 1.995001, 3.999, 1),
        (AGENT, 1.5, 5.0, 1),  # across three: the one it covers most
        (AGENT, 3.0, 5.0, 1),  # as much of two: the one starting nearer its start
        (AGENT, 1.0, 3.0, 0),  # as much of two, both as near: the earlier
        (AGENT, 6.005, 6.5, 2),  # past the last line by less than the stores' rounding
        (AGENT, 6.02, 6.5, None),  # past it by more: no line
        (CALLEE, 2.0, 4.0, None),  # nobody else's line
    ],
)
def test_a_flag_marks_the_one_line_it_overlaps_most(
    speaker: Speaker, start: float, end: float, line: int | None
) -> None:
    assert flag_line(speaker, start, end, ADJOINING) == line


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([AGENT, CALLEE]), st.integers(0, 40), st.integers(1, 8)),
        min_size=1,
        max_size=12,
        unique_by=lambda t: (t[0], t[1]),
    ),
    st.sampled_from([AGENT, CALLEE]),
    st.integers(-5, 45),
    st.integers(0, 10),
    st.randoms(use_true_random=False),
)
def test_the_line_a_flag_marks_does_not_depend_on_the_lines_order(
    spans: list[tuple[Speaker, int, int]],
    speaker: Speaker,
    start: int,
    length: int,
    shuffler: random.Random,
) -> None:
    """Both views list lines by start; a flag's line is the same whatever order they come in,
    and it is always a line of the flag's speaker that the flag's span touches."""
    lines = [said(i, who, at / 2, (at + size) / 2) for i, (who, at, size) in enumerate(spans)]
    begin, finish = start / 2, (start + length) / 2
    found = flag_line(speaker, begin, finish, lines)
    shuffled = lines[:]
    shuffler.shuffle(shuffled)
    again = flag_line(speaker, begin, finish, shuffled)
    assert (found is None) == (again is None)
    if found is not None and again is not None:
        assert lines[found] == shuffled[again]
        line = lines[found]
        assert line.speaker == speaker and line.start_s <= finish and begin <= line.end_s
