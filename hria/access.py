"""Who may see and change what: the one place that decides.

Anything a user may not see is answered with 404, so that guessing an id
reveals nothing. Objects a user may see but not change are answered with 403.
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import Select, or_, select

from .extensions import db
from .models import (Assessment, Evidence, FairnessAudit, Invitation, Organisation, OversightAssignment, Share,
                     System, User)


def _overseen_ids(user: User):
    return select(OversightAssignment.overseen_id).where(
        OversightAssignment.oversight_id == user.organisation_id
    )


def _invited_assessment_ids(user: User):
    return select(Invitation.assessment_id).where(Invitation.organisation_id == user.organisation_id)


def _shared_assessment_ids(user: User):
    return select(Share.assessment_id).where(Share.organisation_id == user.organisation_id)


def visible_systems(user: User) -> Select:
    query = select(System)
    if user.role == "admin":
        return query
    if user.role == "procurer":
        shared = select(Assessment.system_id).where(Assessment.id.in_(_shared_assessment_ids(user)))
        return query.where(or_(System.owner_id == user.organisation_id, System.id.in_(shared)))
    if user.role == "oversight":
        return query.where(System.owner_id.in_(_overseen_ids(user)))
    if user.role == "vendor":
        invited_systems = select(Assessment.system_id).where(
            Assessment.id.in_(_invited_assessment_ids(user))
        )
        return query.where(or_(System.id.in_(invited_systems), System.owner_id == user.organisation_id))
    return query.where(False)


def visible_assessments(user: User) -> Select:
    query = select(Assessment).join(Assessment.system)
    if user.role == "admin":
        return query
    if user.role == "procurer":
        return query.where(or_(System.owner_id == user.organisation_id,
                               Assessment.id.in_(_shared_assessment_ids(user))))
    if user.role == "oversight":
        return query.where(System.owner_id.in_(_overseen_ids(user)))
    if user.role == "vendor":
        return query.where(or_(Assessment.id.in_(_invited_assessment_ids(user)),
                               System.owner_id == user.organisation_id))
    return query.where(False)


def system_or_404(user: User, system_id: int) -> System:
    system = db.session.scalar(visible_systems(user).where(System.id == system_id))
    if system is None:
        abort(404)
    return system


def assessment_or_404(user: User, assessment_id: int) -> Assessment:
    assessment = db.session.scalar(visible_assessments(user).where(Assessment.id == assessment_id))
    if assessment is None:
        abort(404)
    return assessment


def can_create_systems(user: User) -> bool:
    """Buyers register the systems they buy; vendors the systems they sell, to self-certify them."""
    return user.role in ("admin", "procurer", "vendor")


def can_manage_system(user: User, system: System) -> bool:
    """Edit the system, start assessments for it and invite vendors to them."""
    if user.role == "admin":
        return True
    return user.role in ("procurer", "vendor") and system.owner_id == user.organisation_id


def self_certifies(user: User, assessment: Assessment) -> bool:
    """A vendor working on an assessment of a system it sells and owns in HRIA."""
    return user.role == "vendor" and assessment.system.owner_id == user.organisation_id


def can_contribute(user: User, assessment: Assessment) -> bool:
    """Answer vendor questions and upload outputs for audit: the buyer's procurers and invited vendors."""
    if can_manage_system(user, assessment.system):
        return True
    return user.role == "vendor" and any(i.organisation_id == user.organisation_id for i in assessment.invitations)


EDITABLE_STATUSES = ("draft", "in_progress", "changes_requested")
ALL_ANSWERERS = frozenset({"procurer", "vendor", "either"})


def answerers_readable(user: User, assessment: Assessment) -> frozenset[str]:
    """Whose questions a user may read: a vendor reads only the vendor's part, unless it self-certifies."""
    if user.role == "vendor" and not self_certifies(user, assessment):
        return frozenset({"vendor", "either"})
    return ALL_ANSWERERS


def answerers_writable(user: User, assessment: Assessment) -> frozenset[str]:
    """Whose questions a user may answer in this assessment, now."""
    if assessment.status not in EDITABLE_STATUSES:
        return frozenset()
    if user.role == "admin" or self_certifies(user, assessment):
        return ALL_ANSWERERS
    if can_manage_system(user, assessment.system):
        return frozenset({"procurer", "either"})
    if can_contribute(user, assessment):
        return frozenset({"vendor", "either"})
    return frozenset()


def audit_or_404(user: User, audit_id: int) -> FairnessAudit:
    record = db.session.get(FairnessAudit, audit_id)
    if record is None:
        abort(404)
    assessment_or_404(user, record.assessment_id)
    return record


def evidence_or_404(user: User, evidence_id: int) -> Evidence:
    record = db.session.get(Evidence, evidence_id)
    if record is None:
        abort(404)
    assessment_or_404(user, record.assessment_id)
    return record


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def owner_choices(user: User):
    """Organisations a user may register a system for."""
    if user.role == "vendor":
        return [user.organisation]
    query = select(Organisation).where(Organisation.kind == "buyer").order_by(Organisation.name)
    if user.role != "admin":
        query = query.where(Organisation.id == user.organisation_id)
    return db.session.scalars(query).all()

