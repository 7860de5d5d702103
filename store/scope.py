"""Whose data a user may see: the one rule, for every page that shows agents' work.

Admins and QA inspectors see every agent (QA reviews every call); a supervisor (班组长)
sees the agents of the teams they lead; an agent sees themselves. The team page uses
it today, and the wallboard and the team-progress reports are meant to call the same
functions, so that no page can widen the rule on its own. Pure: the functions build
SQL predicates and run nothing.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import ColumnElement, Select, false, select, true

from store.enums import Role
from store.models import Agent, Team, TeamSupervisor


class Viewer(Protocol):
    """Who is looking (a console ``Principal`` is one)."""

    @property
    def user_id(self) -> int: ...

    @property
    def role(self) -> Role: ...


SEES_EVERY_AGENT = frozenset({Role.ADMIN, Role.QA})


def visible_teams(viewer: Viewer) -> ColumnElement[bool]:
    """A condition on :class:`Team`: the teams ``viewer`` may see."""
    if viewer.role in SEES_EVERY_AGENT:
        return true()
    if viewer.role is Role.SUPERVISOR:
        led = select(TeamSupervisor.team_id).where(TeamSupervisor.user_id == viewer.user_id)
        return Team.id.in_(led)
    if viewer.role is Role.AGENT:
        own = select(Agent.team_id).where(Agent.user_id == viewer.user_id)
        return Team.id.in_(own)
    return false()


def visible_agents(viewer: Viewer) -> ColumnElement[bool]:
    """A condition on :class:`Agent`: the agents whose work ``viewer`` may see."""
    if viewer.role in SEES_EVERY_AGENT:
        return true()
    if viewer.role is Role.SUPERVISOR:
        return Agent.team_id.in_(select(Team.id).where(visible_teams(viewer)))
    if viewer.role is Role.AGENT:
        return Agent.user_id == viewer.user_id
    return false()


def visible_agent_ids(viewer: Viewer) -> Select[int]:
    """The same rule as a query of agent ids, for tables that name an ``agent_id``."""
    return select(Agent.id).where(visible_agents(viewer))
