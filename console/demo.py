"""``callwarden demo``: the main job on the embedded default.

Create/upgrade the SQLite database, import the shipped sample cases
(idempotent), add demo agents, build every agent's worklist under the active
profile for the next working day at 10:00, then dial them for real through
the embedded Asterisk to simulated phones, record, transcribe, flag and apply
the callee events (``console.demo_calls``). Then serve the web console on the
simulated day, with a login per role printed on screen, until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import time as clock_time
from importlib import resources
from pathlib import Path
from types import FrameType
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from compliance.policy import Profile
from compliance.policy.calendar import is_working_day
from console.app import App, provisioned_notice
from console.demo_calls import Transcribing, plan_calls, run_demo_calls
from console.demo_line import Callees, DemoClock, demo_line, scenarios_for
from console.teams import add_team, assign_agent, set_supervisor
from console.users import add_user, default_actor, password_matches, set_password
from console.web.dialing import SandboxPreviewDialer
from store.case_import import import_cases
from store.enums import Role
from store.migrate import upgrade
from store.models import (
    Agent,
    CallAttempt,
    Case,
    CaseContact,
    ClientBank,
    PhoneNumber,
    Team,
    User,
)
from store.pii import mask_phone
from store.safe_text import neutralise
from store.types import utcnow


def sample_cases_path() -> Path:
    """The sample case file shipped as package data."""
    return Path(str(resources.files("config").joinpath("samples/cases.csv")))


def cmd_demo(app: App, args: argparse.Namespace, out: TextIO) -> int:
    started = time.monotonic()
    before, after = upgrade(app.engine)
    print(
        f"[1/5] database {app.settings.database_url()}: schema {before or '(empty)'} → {after}",
        file=out,
    )
    key = app.ensure_master_key()  # recordings are sealed from the first call
    if key is not None:
        print(f"      {provisioned_notice(key, app.paths.master_key)}", file=out)
    report = import_cases(sample_cases_path(), app.sessions, default_actor())
    c = report.counts
    print(
        f"[2/5] imported {report.rows} sample cases: {c.cases_created} new, "
        f"{c.cases_updated} updated in place",
        file=out,
    )
    _summary(app, out)
    _ensure_demo_agents(app)
    profile = app.profile()
    at = next_working_morning(profile, _latest_activity(app))
    _preview(app, profile, at, out)
    if args.no_calls and args.no_serve:
        print(f"done in {time.monotonic() - started:.1f} s", file=out)
        return 0
    try:
        with interrupted_by_sigterm():
            _calls_and_console(app, args, profile, at, started, out)
    except KeyboardInterrupt:
        print("stopped: the demo's Asterisk, phones and transcription are down", file=out)
        return 130
    return 0


def _calls_and_console(  # noqa: PLR0917 (the demo's parts)
    app: App,
    args: argparse.Namespace,
    profile: Profile,
    at: datetime,
    started: float,
    out: TextIO,
) -> None:
    """The demo's line up; its calls (unless ``--no-calls``); its console (unless
    ``--no-serve``), which dials through the same line on the same clock; then all of it
    down, whatever ended it."""
    callees = Callees()
    plans = [] if args.no_calls else plan_calls(app, profile, at, callees)
    chosen = callees.every_number(app.schedule(profile, at))
    scenarios = scenarios_for(chosen, app.paths.demo / "sounds")
    transcribing = Transcribing(app)  # the model loads while Asterisk starts
    dialer: SandboxPreviewDialer | None = None
    try:
        with demo_line(app, scenarios) as core:
            clock = DemoClock.starting(at)
            if plans:
                run_demo_calls(app, profile, plans, core, transcribing, clock, out)
            print(f"done in {time.monotonic() - started:.1f} s", file=out, flush=True)
            if not args.no_serve:
                dialer = SandboxPreviewDialer(app, lambda: core, transcribing.add)
                _serve(app, clock, dialer, started, out)
    finally:
        if dialer is not None:
            dialer.wait(30.0)  # the line is down: a call still up has ended
        transcribing.finish()


@contextmanager
def interrupted_by_sigterm() -> Iterator[None]:
    """SIGTERM interrupts as Ctrl-C does, so that what the demo started is stopped on the way
    out (its Asterisk runs in a session of its own: killing the demo would leave it up)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve(
    app: App, clock: DemoClock, dialer: SandboxPreviewDialer, started: float, out: TextIO
) -> None:
    """The console on the demo's simulated day, dialling through the demo's line, until
    Ctrl-C, with the logins on screen."""
    from console.web.server import serve  # noqa: PLC0415 (only when serving)

    logins = ensure_demo_users(app)
    settings = app.settings.console
    print(f"\nconsole: http://{settings.host}:{settings.port}/  (Ctrl-C stops it)", file=out)
    print(f"demo logins (also in {app.paths.demo_logins}):", file=out)
    for username, (role, password) in logins.items():
        print(f"  {role:<10} {username:<6} {password}", file=out)
    print(
        f"the console's clock goes on from {clock():%Y-%m-%d %H:%M} (the demo's simulated day); "
        "agents owe a note for each of their calls before the next is offered; "
        "拨打 (D) places a real call through the demo's Asterisk to a simulated phone",
        file=out,
    )

    def ready() -> None:
        print(
            f"serving with dialler: http://{settings.host}:{settings.port}/ "
            f"({time.monotonic() - started:.0f} s after the demo started)",
            file=out,
            flush=True,
        )

    serve(app, settings.host, settings.port, dialer, clock=clock, on_started=ready)


def ensure_demo_users(app: App) -> dict[str, tuple[str, str]]:
    """An admin, a QA inspector and one user per demo agent; passwords made once, then kept."""
    path = app.paths.demo_logins
    saved: dict[str, list[str]] = json.loads(path.read_text()) if path.is_file() else {}
    wanted = {"admin": Role.ADMIN, "qa": Role.QA, DEMO_LEAD: Role.SUPERVISOR} | {
        code.lower(): Role.AGENT for code, _, _ in DEMO_AGENTS
    }
    logins: dict[str, tuple[str, str]] = {}
    with app.sessions.begin() as session:
        for username, role in wanted.items():
            password = saved.get(username, [role.value, secrets.token_urlsafe(9)])[1]
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                agent = username.upper() if role is Role.AGENT else None
                add_user(session, username, role, password, "demo", agent)
            elif not password_matches(user.password_hash, password):
                set_password(session, user, password, "demo")
            logins[username] = (role.value, password)
        # The lead leads the first team, so the team page (班组) has agents and calls.
        set_supervisor(session, DEMO_LEAD, DEMO_TEAMS[0][0], "demo")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({k: list(v) for k, v in logins.items()}, indent=1))
    path.chmod(0o600)
    return logins


def _latest_activity(app: App) -> datetime:
    """Now, or the last simulated day's calls if later: each demo run is the next working day."""
    with app.sessions() as session:
        latest = session.scalar(select(func.max(CallAttempt.reserved_at)))
    now = utcnow()
    return max(now, latest) if latest else now


DEMO_AGENTS = (
    ("A01", "王芳", "PJSIP/a01@simnet"),
    ("A02", "李强", "PJSIP/a02@simnet"),
    ("A03", "张敏", "PJSIP/a03@simnet"),
    ("A04", "刘洋", "PJSIP/a04@simnet"),
    ("A05", "陈静", "PJSIP/a05@simnet"),
)


DEMO_TEAMS = (("T1", "催收一组", ("A01", "A02", "A03")), ("T2", "催收二组", ("A04", "A05")))
DEMO_LEAD = "lead"
"""The demo's supervisor (班组长), leading the first team."""


def _ensure_demo_agents(app: App) -> None:
    with app.sessions.begin() as session:
        known = set(session.scalars(select(Agent.code)))
        session.add_all(
            Agent(code=code, name=name, sip_endpoint=sip)
            for code, name, sip in DEMO_AGENTS
            if code not in known
        )
        session.flush()
        for team_code, team_name, members in DEMO_TEAMS:
            if session.scalar(select(Team.id).where(Team.code == team_code)) is None:
                add_team(session, team_code, team_name, "demo")
            for code in members:
                # Only agents in no team: a second run keeps what an admin changed since.
                if session.scalar(select(Agent.team_id).where(Agent.code == code)) is None:
                    assign_agent(session, code, team_code, "demo")


def next_working_morning(profile: Profile, after: datetime) -> datetime:
    """10:00 on the first working day after ``after`` (the simulated day of the demo)."""
    zone = ZoneInfo(profile.timezone)
    day = after.astimezone(zone).date()
    for _ in range(30):
        day += timedelta(days=1)
        if is_working_day(day, profile.calendar):
            break
    return datetime.combine(day, clock_time(10), tzinfo=zone)


def _preview(app: App, profile: Profile, at: datetime, out: TextIO) -> None:
    schedule = app.schedule(profile, at)
    print(
        f"[3/5] worklists at {at:%Y-%m-%d %H:%M} (simulated working day) under {profile.ruleset}:",
        file=out,
    )
    for code, _, _ in DEMO_AGENTS:
        mine = schedule.for_agent(code)
        print(f"  {code}: {len(mine)} number(s) due", file=out)
        for item in mine[:3]:
            e = item.entry
            print(
                f"      {neutralise(e.case.account_no)}  {mask_phone(e.number.e164):<13} "
                f"{e.person.contact_type:<9} {item.reason}",
                file=out,
            )
    blocked = Counter(item.rule for item in schedule.blocked)
    print(
        "  blocked: " + (", ".join(f"{rule} {n}" for rule, n in blocked.most_common()) or "none"),
        file=out,
    )


def _summary(app: App, out: TextIO) -> None:
    with app.sessions() as session:
        by_bank = session.execute(
            select(ClientBank.code, func.count(Case.id), func.sum(Case.amount_overdue_cents))
            .join(Case, Case.client_bank_id == ClientBank.id)
            .group_by(ClientBank.code)
            .order_by(ClientBank.code)
        ).all()
        by_status = session.execute(
            select(Case.status, func.count()).group_by(Case.status).order_by(Case.status)
        ).all()
        contacts = session.scalar(select(func.count()).select_from(CaseContact)) or 0
        numbers = session.scalar(select(func.count()).select_from(PhoneNumber)) or 0
    print("summary:", file=out)
    for code, count, cents in by_bank:
        print(
            f"  {neutralise(code):<10} {count:>5} case(s)  ¥{(cents or 0) / 100:>14,.2f} overdue",
            file=out,
        )
    print("  status: " + ", ".join(f"{status} {count}" for status, count in by_status), file=out)
    print(f"  {contacts} contact(s), {numbers} phone number(s)", file=out)
