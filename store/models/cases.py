"""Who is owed what by whom, and how to reach them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.enums import AccountClass, CaseStatus, NumberKind, NumberState, Relation
from store.models.base import Base
from store.types import enum_column, utcnow


class ClientBank(Base):
    """The bank that outsourced its overdue accounts (委托方)."""

    __tablename__ = "client_bank"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Campaign(Base):
    """A batch of cases worked under one dial-policy profile."""

    __tablename__ = "campaign"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_bank_id: Mapped[int] = mapped_column(ForeignKey("client_bank.id"))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    policy_profile: Mapped[str] = mapped_column(String(64), default="cn-default")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Person(Base):
    """A debtor or one of their contacts; the unit that per-person caps count."""

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    resident_id: Mapped[str | None] = mapped_column(String(18), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    numbers: Mapped[list[PhoneNumber]] = relationship(back_populates="person")


class Case(Base):
    """One overdue account of one debtor at one client bank."""

    __tablename__ = "collection_case"
    __table_args__ = (UniqueConstraint("client_bank_id", "account_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_bank_id: Mapped[int] = mapped_column(ForeignKey("client_bank.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"))
    account_no: Mapped[str] = mapped_column(String(64))
    debtor_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    amount_overdue_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    days_past_due: Mapped[int]
    account_class: Mapped[AccountClass | None] = mapped_column(enum_column(AccountClass, 1))
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus), default=CaseStatus.ACTIVE)
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), index=True)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    debtor: Mapped[Person] = relationship()
    contacts: Mapped[list[CaseContact]] = relationship(back_populates="case")


class CaseContact(Base):
    """A person linked to a case other than its debtor (family, colleague, …)."""

    __tablename__ = "case_contact"
    __table_args__ = (UniqueConstraint("case_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collection_case.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    relation: Mapped[Relation] = mapped_column(enum_column(Relation))
    relation_word: Mapped[str | None] = mapped_column(String(20))
    """The case file's own word when it says more than ``relation`` (母亲 for family), as the
    agent should read it; None when it said no more (家属, 同事)."""
    case: Mapped[Case] = relationship(back_populates="contacts")
    person: Mapped[Person] = relationship()


class PhoneNumber(Base):
    """A number at which a person may be reached, normalised to E.164."""

    __tablename__ = "phone_number"
    __table_args__ = (UniqueConstraint("person_id", "e164"), Index("ix_phone_number_e164", "e164"))
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    e164: Mapped[str] = mapped_column(String(20))
    kind: Mapped[NumberKind] = mapped_column(enum_column(NumberKind))
    state: Mapped[NumberState] = mapped_column(
        enum_column(NumberState), default=NumberState.UNVERIFIED
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    person: Mapped[Person] = relationship(back_populates="numbers")
