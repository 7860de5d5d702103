"""Every table of callwarden; importing this package registers them all."""

from store.models.admin import AuditLog, CollectionNote, DoNotCall, Hold, ReviewVerdict, User
from store.models.base import Base
from store.models.calls import Agent, CallAttempt, Flag, Recording, Utterance
from store.models.cases import Campaign, Case, CaseContact, ClientBank, Person, PhoneNumber

__all__ = [
    "Agent",
    "AuditLog",
    "Base",
    "CallAttempt",
    "Campaign",
    "Case",
    "CaseContact",
    "ClientBank",
    "CollectionNote",
    "DoNotCall",
    "Flag",
    "Hold",
    "Person",
    "PhoneNumber",
    "Recording",
    "ReviewVerdict",
    "User",
    "Utterance",
]
