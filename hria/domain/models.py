"""The database models (SQLAlchemy 2 typed mappings).

Domain models carry ``__audited__ = True``: every insert, update and delete of
them writes an Event in the same transaction (see ``hria.trail``). Columns whose
values must never appear in the trail carry ``info={"trail": "redact"}``; large
ones carry ``info={"trail": "digest"}`` and appear as their SHA-256.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from hria.domain.vocabulary import (
    AssessmentStatus,
    ConsultationMethod,
    EvidencePurpose,
    GrievanceStatus,
    OrganisationKind,
    ReportKind,
    Role,
    StakeholderCategory,
)
from hria.extensions import db

if TYPE_CHECKING:
    # db.Model is made at run time from Base, which type checkers can follow
    from hria.extensions import Base as Model
else:
    Model = db.Model


def one_of(table: str, column: str, values) -> CheckConstraint:
    """The column holds only a key of its vocabulary (migration 0013 adds the same constraints)."""
    keys = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({keys})", name=f"ck_{table}_{column}")


def utcnow() -> datetime:
    """Naive UTC, so SQLite and PostgreSQL round-trip the same value."""
    return datetime.now(UTC).replace(tzinfo=None)


class Organisation(Model):
    __tablename__ = "organisation"
    __table_args__ = (one_of("organisation", "kind", OrganisationKind),)
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


PASSWORD_HASH_METHOD = "scrypt"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, Model):
    __tablename__ = "user_account"
    __table_args__ = (one_of("user_account", "role", Role),)
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256), info={"trail": "redact"})
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Part of every session's and remember-me cookie's user id; a new token ends them all.
    session_token: Mapped[str] = mapped_column(
        String(64), default=new_session_token, info={"trail": "redact"}
    )

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Sign the user out everywhere: cookies carrying the old token no longer load the user."""
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        """Store the hash and end every session, so someone who knew the old password is locked out."""
        self.password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email!r}>"


class OversightAssignment(Model):
    """An oversight body's mandate over another organisation, granted by an admin."""

    __tablename__ = "oversight_assignment"
    __audited__ = True
    __table_args__ = (UniqueConstraint("oversight_id", "overseen_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    oversight_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    overseen_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    oversight: Mapped[Organisation] = relationship(foreign_keys=[oversight_id])
    overseen: Mapped[Organisation] = relationship(foreign_keys=[overseen_id])


# The purpose is free text, but the form and the import take at most this many characters: reports print it
# whole.
PURPOSE_MAX_LENGTH = 5000


class System(Model):
    """An AI or algorithmic system that a city buys or runs."""

    __tablename__ = "ai_system"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    sector: Mapped[str] = mapped_column(String(40))
    automated_decisions: Mapped[bool] = mapped_column(Boolean, default=False)
    in_operation: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The impact level belongs to the system: the gravest any of its assessments reached, carried into
    # later stages; it is lowered only by an explicit, reasoned decision (risk_register.lower_level).
    impact_level: Mapped[str | None] = mapped_column(String(8))
    impact_level_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment.id", use_alter=True, name="fk_ai_system_impact_level_from")
    )
    # Set while the system's transparency page is public (hria.domain.publication).
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Recorded by an administrator when the scoping screening found a prohibited practice and the law allows
    # it here all the same (hria.domain.screening); without it the system stops at scoping.
    legal_basis: Mapped[str | None] = mapped_column(Text)
    legal_basis_at: Mapped[datetime | None] = mapped_column(DateTime)
    legal_basis_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[Organisation] = relationship(foreign_keys=[owner_id])
    vendor: Mapped[Organisation | None] = relationship(foreign_keys=[vendor_id])
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="system", order_by="Assessment.created_at", foreign_keys="Assessment.system_id"
    )
    impact_level_from: Mapped[Assessment | None] = relationship(
        foreign_keys=[impact_level_from_id],
        post_update=True,  # the two tables refer to each other
    )


class Assessment(Model):
    """Human-rights due diligence of one system at one lifecycle stage."""

    __tablename__ = "assessment"
    __table_args__ = (one_of("assessment", "status", AssessmentStatus),)
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("ai_system.id"))
    stage: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30), default=AssessmentStatus.DRAFT)
    language: Mapped[str] = mapped_column(String(5), default="en")
    impact_level: Mapped[str | None] = mapped_column(String(5))
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("question_bank.id"))
    imported_from_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"))
    # the id of the signed export this assessment was imported from: one export imports once
    source_export_id: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    system: Mapped[System] = relationship(back_populates="assessments", foreign_keys=[system_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    bank: Mapped[QuestionBank | None] = relationship()
    invitations: Mapped[list[Invitation]] = relationship(back_populates="assessment")


class QuestionBank(Model):
    """A version of the question bank as it was when an assessment was answered against it."""

    __tablename__ = "question_bank"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Answer(Model):
    __tablename__ = "answer"
    __audited__ = True
    __table_args__ = (UniqueConstraint("assessment_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(Text)  # JSON
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    carried_from: Mapped[str | None] = mapped_column(String(300))  # provenance, until the answer is confirmed
    # Why the question does not apply, required with a "not applicable" answer: it removes the question from
    # the score, so the oversight body reads the reason and may reject it.
    na_reason: Mapped[str | None] = mapped_column(Text)

    answered_by: Mapped[User | None] = relationship()


class RiskRating(Model):
    """The assessor's rating of the risk to one right, in the manner of HUDERIA."""

    __tablename__ = "risk_rating"
    __audited__ = True
    __table_args__ = (UniqueConstraint("assessment_id", "right"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    right: Mapped[str] = mapped_column(String(30))
    scale: Mapped[int] = mapped_column(Integer)
    scope: Mapped[int] = mapped_column(Integer)
    reversibility: Mapped[int] = mapped_column(Integer)
    likelihood: Mapped[int] = mapped_column(Integer)
    treatment: Mapped[str] = mapped_column(Text, default="")
    # The rating once the treatment is in place (residual risk); all four or none.
    residual_scale: Mapped[int | None] = mapped_column(Integer)
    residual_scope: Mapped[int | None] = mapped_column(Integer)
    residual_reversibility: Mapped[int | None] = mapped_column(Integer)
    residual_likelihood: Mapped[int | None] = mapped_column(Integer)
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    rated_by: Mapped[User | None] = relationship()


class Finding(Model):
    """A finding from a technical check (a fairness audit…) that bears on a right."""

    __tablename__ = "finding"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    right: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RemediationAction(Model):
    __tablename__ = "remediation_action"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str | None] = mapped_column(String(20))
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("finding.id"))
    right: Mapped[str] = mapped_column(String(30))
    paragraph: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    justification: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)

    finding: Mapped[Finding | None] = relationship()


class ApprovalCondition(Model):
    """A condition of the oversight body's conditional approval, tracked until it is fulfilled."""

    __tablename__ = "approval_condition"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    fulfilment: Mapped[str] = mapped_column(Text, default="")  # what shows it is fulfilled
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    fulfilled_at: Mapped[datetime | None] = mapped_column(DateTime)

    assessment: Mapped[Assessment] = relationship()


class Report(Model):
    """A signed report in the registry. Its file, stored by SHA-256, is never changed or replaced."""

    __tablename__ = "report"
    __table_args__ = (one_of("report", "kind", ReportKind),)
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(5))
    version: Mapped[int] = mapped_column(Integer, default=1)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(500))
    signers: Mapped[str] = mapped_column(Text)  # JSON list of organisation names, in signing order
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"))
    # a report of incomplete work, marked "Draft — incomplete": never the assessment's report
    draft: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    assessment: Mapped[Assessment] = relationship()
    issued_by: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        """This file's id in the registry: the report's code and version, and after each countersignature a
        revision number (``…-v1.1``), since a countersigned file is a new file beside the one it signs."""
        countersignatures = len(json.loads(self.signers)) - 1
        return f"{self.code}-v{self.version}" + (f".{countersignatures}" if countersignatures > 0 else "")


class Share(Model):
    """A vendor's self-certification shared, read-only, with a buying organisation."""

    __tablename__ = "share"
    __audited__ = True
    __table_args__ = (UniqueConstraint("assessment_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class Comment(Model):
    """A remark on an assessment or one of its questions, findings or remediation actions; replies thread."""

    __tablename__ = "comment"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(
        String(40)
    )  # "assessment", "question:SCO-02", "finding:3", "action:7"
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[User] = relationship()


class Notification(Model):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    comment: Mapped[Comment] = relationship()


class Invitation(Model):
    """A vendor organisation invited to take part in one assessment."""

    __tablename__ = "invitation"
    __audited__ = True
    __table_args__ = (UniqueConstraint("assessment_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="invitations")
    organisation: Mapped[Organisation] = relationship()


class Evidence(Model):
    """An uploaded file, stored once under the instance folder by its SHA-256."""

    __tablename__ = "evidence"
    __table_args__ = (one_of("evidence", "purpose", EvidencePurpose),)
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    question_id: Mapped[str | None] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    assessment: Mapped[Assessment] = relationship()
    uploaded_by: Mapped[User | None] = relationship()


class FairnessAudit(Model):
    """A check of uploaded model outputs, run in the background: a fairness audit or an explanation."""

    __tablename__ = "fairness_audit"
    __audited__ = True
    # The sweep looks for queued and running jobs whose lease ran out.
    __table_args__ = (Index("ix_fairness_audit_status_lease", "status", "lease_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="audit", server_default="audit")
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    settings: Mapped[str] = mapped_column(Text)
    progress: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str | None] = mapped_column(Text, info={"trail": "digest"})
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("audit_plan.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The queue's lease (hria.domain.jobs): which worker runs the job and until when, unless it renews.
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    assessment: Mapped[Assessment] = relationship()
    evidence: Mapped[Evidence] = relationship()
    plan: Mapped[AuditPlan | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class AuditPlan(Model):
    """An audit plan fixed before the data is uploaded: its canonical JSON and that text's SHA-256, both in
    the trail, so the plan cannot change once results are known."""

    __tablename__ = "audit_plan"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    assessment: Mapped[Assessment] = relationship()
    created_by: Mapped[User | None] = relationship()


class Grievance(Model):
    """A concern or complaint from a member of the public about a published system (hria.domain.grievances).

    The contact is personal data: it is redacted from the trail and never shown on a public page."""

    __tablename__ = "grievance"
    __table_args__ = (one_of("grievance", "status", GrievanceStatus),)
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("ai_system.id", ondelete="CASCADE"), index=True)
    what_happened: Mapped[str] = mapped_column(Text)
    happened_when: Mapped[str] = mapped_column(String(100), default="")
    contact: Mapped[str] = mapped_column(String(300), default="", info={"trail": "redact"})
    language: Mapped[str] = mapped_column(String(5), default="en")
    status: Mapped[str] = mapped_column(String(20), default=GrievanceStatus.RECEIVED)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # triaged into the risk register: the finding it became
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("finding.id", ondelete="SET NULL"))
    reply: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    system: Mapped[System] = relationship()
    finding: Mapped[Finding | None] = relationship()


class PublicSubmission(Model):
    """When an address last sent a public form: kept a day, to throttle floods (hria.domain.grievances)."""

    __tablename__ = "public_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Consultation(Model):
    """A consultation of people affected by a system, recorded on an assessment (hria.domain.consultations).

    Who took part is recorded by category; names only where ``consent`` says they agreed to it."""

    __tablename__ = "consultation"
    __table_args__ = (
        one_of("consultation", "category", StakeholderCategory),
        one_of("consultation", "method", ConsultationMethod),
    )
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    held_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(30))
    participants: Mapped[int | None] = mapped_column(Integer)
    what_they_said: Mapped[str] = mapped_column(Text)
    what_changed: Mapped[str] = mapped_column(Text, default="")
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    named_participants: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    assessment: Mapped[Assessment] = relationship()


class LoginAttempt(Model):
    """Recent sign-in attempts, kept to throttle password guessing."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class FormSubmission(Model):
    """The one-time token of a form that was sent: a second request with the same token is a double submit."""

    __tablename__ = "form_submission"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Event(Model):
    """One entry of the append-only, hash-chained event trail."""

    __tablename__ = "event"
    # The timeline and each object's history look events up by object (migration 0022).
    __table_args__ = (Index("ix_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
