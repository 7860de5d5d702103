"""Call attempts, their recordings, transcripts and the flags raised on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.enums import AttemptStatus, Direction, RecordingStatus, Speaker
from store.models.base import Base
from store.types import enum_column, utcnow


class Agent(Base):
    """A collector at a recorded landline (a SIP endpoint on the PBX)."""

    __tablename__ = "agent"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    sip_endpoint: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    """The team (班组) the agent works in; none until an admin assigns one."""


class CallAttempt(Base):
    """One dial (or one inbound call) and the policy decision that allowed or blocked it.

    ``reserved`` and ``originated`` rows are in flight and count as possibly
    connected for the caps.
    """

    __tablename__ = "call_attempt"
    __table_args__ = (
        Index("ix_call_attempt_person_reserved", "person_id", "reserved_at"),
        Index("ix_call_attempt_e164_reserved", "e164", "reserved_at"),
        # The agent's page asks on every load for the agent's calls in flight and those owing
        # a note: without it each load reads every attempt ever made.
        Index("ix_call_attempt_agent_status", "agent_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collection_case.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    phone_number_id: Mapped[int | None] = mapped_column(ForeignKey("phone_number.id"))
    e164: Mapped[str] = mapped_column(String(20))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"))
    direction: Mapped[Direction] = mapped_column(enum_column(Direction))
    status: Mapped[AttemptStatus] = mapped_column(enum_column(AttemptStatus))
    reserved_at: Mapped[datetime] = mapped_column(default=utcnow)
    originated_at: Mapped[datetime | None]
    ringing_at: Mapped[datetime | None]
    """When Asterisk said the callee's phone rang (Newstate Ringing); None: not (yet)."""
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    ruleset_version: Mapped[str] = mapped_column(String(80))
    rule_id: Mapped[str | None] = mapped_column(String(80))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    counters_seen: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Recording(Base):
    """A finished recording, content-addressed; originals are never modified.

    The same content is one recording per call attempt (or one without any): two
    calls whose audio happens to be identical are still two calls.
    """

    __tablename__ = "recording"
    __table_args__ = (UniqueConstraint("sha256", "call_attempt_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    call_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("call_attempt.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(String(500))
    duration_s: Mapped[float | None]
    sample_rate: Mapped[int | None]
    channels: Mapped[int | None]
    size_bytes: Mapped[int]
    agent_channel: Mapped[int | None]
    status: Mapped[RecordingStatus] = mapped_column(enum_column(RecordingStatus))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    original_name: Mapped[str | None] = mapped_column(String(500))
    """Where the file came from (a bank's archive, Asterisk's spool), for people."""
    contact_type: Mapped[str | None] = mapped_column(String(20))
    """Who was called, when no attempt says it (batch imports): debtor, family, …"""
    tries: Mapped[int] = mapped_column(default=0, server_default="0")
    """Transcription attempts so far; a file that keeps failing stops at the cap."""
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    """A worker's lease: a claim older than the lease time is taken over."""
    transcribed_at: Mapped[datetime | None]
    model_name: Mapped[str | None] = mapped_column(String(80))
    spot_draw: Mapped[float | None] = mapped_column(index=True)
    """The call's ticket for QA spot checks (``store.qa.spot_draw``)."""
    repair_note: Mapped[str | None] = mapped_column(Text)
    """Why the audio was read past what the file's header said (a stale WAV header, as a
    killed Asterisk leaves); the archived file is the original, unchanged."""


class Utterance(Base):
    """A stretch of one speaker's speech, in call-relative seconds."""

    __tablename__ = "utterance"
    __table_args__ = (UniqueConstraint("recording_id", "speaker", "start_s"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id", ondelete="CASCADE"))
    speaker: Mapped[Speaker] = mapped_column(enum_column(Speaker))
    start_s: Mapped[float]
    end_s: Mapped[float]
    text: Mapped[str] = mapped_column(Text)
    avg_logprob: Mapped[float | None]
    confidence: Mapped[float | None]
    """exp(avg_logprob): what QA sees; low means the words may be misheard."""
    alternatives: Mapped[list[str] | None] = mapped_column(JSON)
    """Other texts the recogniser found likely (n-best), best first."""


class Flag(Base):
    """What the detector found in a recording: a violation or a callee event."""

    __tablename__ = "flag"
    __table_args__ = (UniqueConstraint("recording_id", "category", "speaker", "start_s"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[int]
    speaker: Mapped[Speaker] = mapped_column(enum_column(Speaker))
    start_s: Mapped[float]
    end_s: Mapped[float]
    evidence: Mapped[str] = mapped_column(Text)
    rule_id: Mapped[str] = mapped_column(String(80))
    detector_version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    match_start: Mapped[int | None]
    match_end: Mapped[int | None]
    """What fired, as character offsets into ``evidence`` (the utterance's text)."""
    match_kind: Mapped[str | None] = mapped_column(String(16))
    """How it matched: the detector's text / pinyin / fuzzy, or ``qa`` where a person made a
    weak match (a ``review_item``) a flag; empty on flags stored before revision 0005."""
