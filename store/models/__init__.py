"""Every table of callwarden; importing this package registers them all."""

from store.models.admin import AuditLog, CollectionNote, DoNotCall, Hold, ReviewVerdict, User
from store.models.audits import AuditDraw, AuditSample, AuditSubject
from store.models.base import Base
from store.models.calls import Agent, CallAttempt, Flag, Recording, Utterance
from store.models.cases import Campaign, Case, CaseContact, ClientBank, Person, PhoneNumber
from store.models.complaints import Complaint, ComplaintLink
from store.models.consent import CaseConsent
from store.models.live import LiveAlert, LiveCall, LiveUtterance
from store.models.payments import Payment
from store.models.retention import LegalHold, Tombstone
from store.models.review import ReviewItem
from store.models.schedule import (
    ScheduleBlocked,
    ScheduleEntry,
    ScheduleMark,
    ScheduleState,
)
from store.models.teams import AgentPause, Team, TeamSupervisor
from store.models.web import ConfigVersion, SpotCheck, WebSession

__all__ = [
    "Agent",
    "AgentPause",
    "AuditDraw",
    "AuditLog",
    "AuditSample",
    "AuditSubject",
    "Base",
    "CallAttempt",
    "Campaign",
    "Case",
    "CaseConsent",
    "CaseContact",
    "ClientBank",
    "CollectionNote",
    "Complaint",
    "ComplaintLink",
    "ConfigVersion",
    "DoNotCall",
    "Flag",
    "Hold",
    "LegalHold",
    "LiveAlert",
    "LiveCall",
    "LiveUtterance",
    "Payment",
    "Person",
    "PhoneNumber",
    "Recording",
    "ReviewItem",
    "ReviewVerdict",
    "ScheduleBlocked",
    "ScheduleEntry",
    "ScheduleMark",
    "ScheduleState",
    "SpotCheck",
    "Team",
    "TeamSupervisor",
    "Tombstone",
    "User",
    "Utterance",
    "WebSession",
]
