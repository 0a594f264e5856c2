"""The departments service's tables (the common ones — outbox, inbox, idempotency keys, findings,
deadlines — come from libs/common's migration branch).

Every kind of fact is one row in `facts`: the department's latest statement under its natural key
(kind, department, reference). The kind's own fields are in `body`; what links a fact to a subject
(a worker's pseudonymous id, an enterprise's credit code) and its validity are columns, so that
look-ups by subject and by date are indexed.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from newform_common.db import json_field, service_base, timestamp_field

ServiceModel = service_base()


class Outcome(StrEnum):
    """What a statement did to the fact under its natural key (the words the API answers with). A fact
    has no lifecycle of its own: each statement is new, a change (version + 1), or the same again."""

    created = "created"
    updated = "updated"
    unchanged = "unchanged"


class SubjectType(StrEnum):
    """Whom a fact is about, as `known_subjects.subject_type` stores it."""

    worker = "worker"
    enterprise = "enterprise"


class Fact(ServiceModel, table=True):
    """A verified fact as its holding department last stated it."""

    __tablename__ = "facts"
    __table_args__ = (
        UniqueConstraint("kind", "department", "reference", name="uq_facts_natural_key"),
        Index("ix_facts_worker", "worker_id", "kind"),
        Index("ix_facts_credit_code", "credit_code", "kind"),
    )

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=40)
    department: str = Field(max_length=32)
    reference: str = Field(max_length=100)
    # Subject: a worker (pseudonymous id; the ID number only encrypted) and/or an enterprise.
    worker_id: str | None = Field(default=None, max_length=64)
    id_number_encrypted: str | None = None
    credit_code: str | None = Field(default=None, max_length=18)
    valid_from: date | None = None
    valid_until: date | None = None
    body: dict[str, Any] = json_field()
    # When the department established the fact (its own time), and when it reached us.
    observed_at: datetime = timestamp_field()
    recorded_at: datetime = timestamp_field()
    version: int = 1
    # Set once the subject is known to the system (a registered worker or enterprise).
    linked_at: datetime | None = timestamp_field(nullable=True)


class KnownSubject(ServiceModel, table=True):
    """Workers and enterprises registered in the system (from contracts' events), to link facts to."""

    __tablename__ = "known_subjects"

    subject_type: str = Field(primary_key=True, max_length=16)  # worker | enterprise
    subject_key: str = Field(primary_key=True, max_length=64)  # worker id | credit code
    first_seen_at: datetime = timestamp_field()


class AuditEntry(ServiceModel, table=True):
    """Every department write and every read of personal data: who, what, when, why."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp_field()
    principal: str = Field(max_length=200)
    role: str = Field(max_length=32)
    department: str | None = Field(default=None, max_length=32)
    action: str = Field(max_length=16)  # write | read
    what: str = Field(max_length=200)  # e.g. "insurance_enrolment fct_… " or "worker w_… facts"
    purpose: str
    request_id: str | None = Field(default=None, max_length=64)


class PullRun(ServiceModel, table=True):
    """One run of a pull adapter against a department's system: when, what it got, what failed."""

    __tablename__ = "pull_runs"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=40, index=True)
    started_at: datetime = timestamp_field()
    finished_at: datetime | None = timestamp_field(nullable=True)
    fetched: int = 0
    recorded: int = 0
    rejected: int = 0
    error: str | None = None  # the request failed (nothing recorded; the next run asks from the same cursor)
    line_errors: list[dict[str, Any]] = json_field()  # records the department sent that were refused
    cursor: str | None = Field(default=None, max_length=200)
