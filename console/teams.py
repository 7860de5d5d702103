"""Managing teams (班组): creating them, putting agents in them, naming their supervisors.

Each change is audit-logged; a refusal is a :class:`UserError` that names the value and
says what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.errors import UserError
from store.audit import record_audit
from store.enums import Role
from store.models import Agent, Team, TeamSupervisor, User
from store.safe_text import describe, first_forbidden

CODE_LIMIT = 32  # Team.code's column
NAME_LIMIT = 100  # Team.name's column


def _text(label: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise UserError(f"{label}: must not be empty")
    if len(value) > limit:
        raise UserError(f"{label}: {len(value)} characters, at most {limit}")
    if (char := first_forbidden(value)) is not None:
        raise UserError(f"{label}: {describe(char)} is not allowed")
    return value


def find_team(session: Session, code: str) -> Team:
    team = session.scalar(select(Team).where(Team.code == code.strip()))
    if team is None:
        raise UserError(f"team {code!r} not found: add it with `callwarden team add`")
    return team


def _agent(session: Session, code: str) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.code == code.strip()))
    if agent is None:
        raise UserError(f"agent {code!r} not found: add it with `callwarden agent add`")
    return agent


def _supervisor(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise UserError(
            f"user {username!r} not found: add it with `callwarden user add --role supervisor`"
        )
    if user.role is not Role.SUPERVISOR:
        raise UserError(
            f"user {username!r} is a {user.role.value} user: "
            "only a supervisor (班组长) leads a team"
        )
    return user


def add_team(session: Session, code: str, name: str | None, actor: str) -> tuple[Team, bool]:
    """Create team ``code`` (or rename it); returns the team and whether it is new."""
    code = _text("team code", code, CODE_LIMIT)
    name = _text("--name", name, NAME_LIMIT) if name is not None else None
    team = session.scalar(select(Team).where(Team.code == code))
    created = team is None
    if team is None:
        team = Team(code=code, name=name or code)
        session.add(team)
    elif name is not None:
        team.name = name
    session.flush()
    action = "team.add" if created else "team.rename"
    record_audit(
        session, actor, action, object_type="team", object_id=code, detail={"name": team.name}
    )
    return team, created


def assign_agent(session: Session, agent_code: str, team_code: str | None, actor: str) -> Agent:
    """Put an agent in a team (an agent is in one team at a time), or in none."""
    agent = _agent(session, agent_code)
    team = find_team(session, team_code) if team_code is not None else None
    before = session.get(Team, agent.team_id) if agent.team_id is not None else None
    agent.team_id = team.id if team else None
    record_audit(
        session,
        actor,
        "team.assign",
        object_type="agent",
        object_id=agent.code,
        detail={"from": before.code if before else None, "to": team.code if team else None},
    )
    return agent


def set_supervisor(
    session: Session, username: str, team_code: str, actor: str, *, leads: bool = True
) -> bool:
    """Make a supervisor lead a team (``leads``) or stop leading it; False if nothing changed."""
    user = _supervisor(session, username)
    team = find_team(session, team_code)
    link = session.scalar(
        select(TeamSupervisor).where(
            TeamSupervisor.team_id == team.id, TeamSupervisor.user_id == user.id
        )
    )
    if (link is not None) == leads:
        return False
    if leads:
        session.add(TeamSupervisor(team_id=team.id, user_id=user.id))
    else:
        session.delete(link)
    record_audit(
        session,
        actor,
        "team.supervise" if leads else "team.unsupervise",
        object_type="team",
        object_id=team.code,
        detail={"user": user.username},
    )
    return True


@dataclass(frozen=True)
class TeamListing:
    team: Team
    agents: list[str]
    supervisors: list[str]


def list_teams(session: Session) -> list[TeamListing]:
    teams = session.scalars(select(Team).order_by(Team.code)).all()
    agents = session.execute(
        select(Agent.team_id, Agent.code).where(Agent.team_id.is_not(None)).order_by(Agent.code)
    ).all()
    leads = session.execute(
        select(TeamSupervisor.team_id, User.username)
        .join(User, User.id == TeamSupervisor.user_id)
        .order_by(User.username)
    ).all()
    return [
        TeamListing(
            team,
            [code for team_id, code in agents if team_id == team.id],
            [name for team_id, name in leads if team_id == team.id],
        )
        for team in teams
    ]
