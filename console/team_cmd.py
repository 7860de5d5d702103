"""``callwarden team add|list|assign|unassign|supervise|unsupervise``: teams (班组)."""

from __future__ import annotations

import argparse
from typing import TextIO

from console.app import App
from console.errors import UsageError, UserError
from console.teams import add_team, assign_agent, list_teams, set_supervisor
from console.users import default_actor
from store.safe_text import neutralise


def cmd_team_add(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    try:
        with app.sessions.begin() as session:
            team, created = add_team(session, args.code, args.name, default_actor())
            code, name = team.code, team.name
    except UserError as exc:
        raise UsageError(str(exc)) from exc
    # Said once committed: a refused write must not read as done.
    print(
        f"team {neutralise(code)} ({neutralise(name)}) {'added' if created else 'updated'}",
        file=out,
    )
    return 0


def cmd_team_assign(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    team = getattr(args, "team", None)
    try:
        with app.sessions.begin() as session:
            assign_agent(session, args.agent, team, default_actor())
    except UserError as exc:
        raise UsageError(str(exc)) from exc
    where = f"in team {neutralise(team)}" if team else "in no team"
    print(f"agent {neutralise(args.agent)} is {where}", file=out)
    return 0


def cmd_team_supervise(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    leads = args.what == "supervise"
    try:
        with app.sessions.begin() as session:
            changed = set_supervisor(session, args.user, args.team, default_actor(), leads=leads)
    except UserError as exc:
        raise UsageError(str(exc)) from exc
    verb = "leads" if leads else "no longer leads"
    print(
        f"{neutralise(args.user)} {verb} team {neutralise(args.team)}"
        + ("" if changed else " (unchanged)"),
        file=out,
    )
    return 0


def cmd_team_list(app: App, _args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    with app.sessions() as session:
        for row in list_teams(session):
            print(
                f"{neutralise(row.team.code):<12} {neutralise(row.team.name)}\n"
                f"    supervisors: {', '.join(row.supervisors) or '-'}\n"
                f"    agents: {', '.join(neutralise(a) for a in row.agents) or '-'}",
                file=out,
            )
    return 0


def add_team_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    team = sub.add_parser("team", help="teams (班组): their agents and supervisors (班组长)")
    team_sub = team.add_subparsers(dest="what", required=True, metavar="WHAT")
    add = team_sub.add_parser("add", help="add a team, or rename one")
    add.add_argument("code", help="a short code, e.g. T1")
    add.add_argument("--name", help="what people call it, e.g. 一组 (default: the code)")
    add.set_defaults(handler=cmd_team_add)
    listing = team_sub.add_parser("list", help="teams with their supervisors and agents")
    listing.set_defaults(handler=cmd_team_list)
    assign = team_sub.add_parser("assign", help="put an agent in a team (one team per agent)")
    assign.add_argument("agent", help="the agent's code")
    assign.add_argument("team", help="the team's code")
    assign.set_defaults(handler=cmd_team_assign)
    unassign = team_sub.add_parser("unassign", help="take an agent out of their team")
    unassign.add_argument("agent", help="the agent's code")
    unassign.set_defaults(handler=cmd_team_assign)
    for verb, text in (("supervise", "make a supervisor lead a team"), ("unsupervise", "stop it")):
        lead = team_sub.add_parser(verb, help=text)
        lead.add_argument("user", help="the supervisor's user name")
        lead.add_argument("team", help="the team's code")
        lead.set_defaults(handler=cmd_team_supervise)
