"""``callwarden ranking show|draw``: the monthly ranking (月度排名) and the reverse audit's
draw (倒查抽样) of its bottom collectors.

``draw`` is idempotent: a month is drawn once, and drawing it again prints the stored draw.
A month that is not over, or a malformed one, exits 1.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select

from console.app import App
from console.bounds import parse_at
from console.ranking import (
    Centre,
    RankingError,
    draw_month,
    header,
    last_month,
    month_ranking,
    parse_month,
    ranking_view,
    table,
    terms_of,
)
from console.users import default_actor
from store.models import Agent, AuditSubject
from store.ranking import sample_rows
from store.safe_text import neutralise
from store.types import utcnow

REJECTED = 1


def _clock(app: App, args: argparse.Namespace) -> datetime:
    zone = app.settings.policy.timezone
    return parse_at(args.at, zone) if args.at else utcnow()


def _month(app: App, text: str | None, at: datetime) -> date:
    if text:
        return parse_month(text)
    return last_month(at.astimezone(ZoneInfo(app.settings.policy.timezone)).date())


def cmd_ranking_show(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    at = _clock(app, args)
    try:
        month = _month(app, args.month, at)
    except RankingError as exc:
        print(f"refused: {exc}", file=out)
        return REJECTED
    settings = app.settings.ranking
    with app.sessions() as session:
        ranked = month_ranking(session, month, now=at, terms=terms_of(app), settings=settings)
        view = ranking_view(session, Centre(), ranked)
        print(f"ranking {month:%Y-%m}: " + " | ".join(header(view)), file=out)
        for row in table(view):
            print("  " + " | ".join(neutralise(str(cell)) for cell in row), file=out)
        if view.unranked:
            codes = ", ".join(neutralise(a.code) for a in view.unranked)
            print(f"not ranked (no calls this month): {codes}", file=out)
    return 0


def cmd_ranking_draw(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    at = _clock(app, args)
    try:
        month = _month(app, args.month, at)
        with app.sessions.begin() as session:
            outcome = draw_month(
                session,
                month,
                now=at,
                terms=terms_of(app),
                settings=app.settings.ranking,
                seed=args.seed or "",
                actor=args.actor or default_actor(),
            )
            draw = outcome.draw
            lines = [
                f"  {neutralise(s.agent.code)} (position {s.subject.position}/{draw.ranked}): "
                f"case {s.case.id} account {neutralise(s.case.account_no)} sample #{s.sample.id}"
                for s in sample_rows(session, Centre(), month)
            ]
            empty = [
                neutralise(code)
                for code in session.scalars(
                    select(Agent.code)
                    .join(AuditSubject, AuditSubject.agent_id == Agent.id)
                    .where(AuditSubject.draw_id == draw.id, AuditSubject.candidates == 0)
                    .order_by(Agent.code)
                )
            ]
            head = "drawn" if outcome.created else "already drawn"
            summary = (
                f"{month:%Y-%m} {head} by {neutralise(draw.drawn_by)} "
                f"(seed {neutralise(draw.seed)}): "
                f"the bottom {draw.bottom_n} of {draw.ranked}, {draw.per_agent} cases each"
            )
    except RankingError as exc:
        print(f"refused: {exc}", file=out)
        return REJECTED
    # Said once committed: a refused write must not read as done.
    print(summary, file=out)
    for line in lines:
        print(line, file=out)
    if empty:
        print(f"  no recorded, noted case to draw for: {', '.join(empty)}", file=out)
    return 0


def add_ranking_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ranking = sub.add_parser(
        "ranking", help="the monthly ranking (月度排名) and the reverse audit (倒查) draw"
    )
    ranking_sub = ranking.add_subparsers(dest="what", required=True, metavar="WHAT")
    show = ranking_sub.add_parser("show", help="the month's ranking of every collector")
    show.add_argument("--month", help="YYYY-MM (default: last month)")
    show.add_argument("--at", help="figures as they stood at 'YYYY-MM-DD HH:MM' (default: now)")
    show.set_defaults(handler=cmd_ranking_show)
    draw = ranking_sub.add_parser(
        "draw", help="draw the month's audit sample of the bottom collectors (idempotent)"
    )
    draw.add_argument("--month", help="YYYY-MM, a month that is over (default: last month)")
    draw.add_argument("--seed", help="the draw's seed (default: [ranking] audit_seed, or random)")
    draw.add_argument("--actor", help="who is drawing, for the audit log")
    draw.add_argument("--at", help="the clock, 'YYYY-MM-DD HH:MM' (default: now)")
    draw.set_defaults(handler=cmd_ranking_draw)
