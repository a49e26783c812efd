"""Who may see and change what: the one place that decides.

Anything a user may not see is answered with 404, so that guessing an id
reveals nothing. Objects a user may see but not change are answered with 403.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, false, or_, select

from hria.domain import questions
from hria.domain.models import (
    Assessment,
    Comment,
    Evidence,
    FairnessAudit,
    Invitation,
    Organisation,
    OversightAssignment,
    Share,
    System,
    User,
)
from hria.domain.vocabulary import EDITABLE_STATUSES, EvidencePurpose, OrganisationKind, Role
from hria.extensions import db


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
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.PROCURER:
        shared = select(Assessment.system_id).where(Assessment.id.in_(_shared_assessment_ids(user)))
        return query.where(or_(System.owner_id == user.organisation_id, System.id.in_(shared)))
    if user.role == Role.OVERSIGHT:
        return query.where(System.owner_id.in_(_overseen_ids(user)))
    if user.role == Role.VENDOR:
        invited_systems = select(Assessment.system_id).where(Assessment.id.in_(_invited_assessment_ids(user)))
        return query.where(or_(System.id.in_(invited_systems), System.owner_id == user.organisation_id))
    return query.where(false())


def visible_assessments(user: User) -> Select:
    query = select(Assessment).join(Assessment.system)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.PROCURER:
        return query.where(
            or_(System.owner_id == user.organisation_id, Assessment.id.in_(_shared_assessment_ids(user)))
        )
    if user.role == Role.OVERSIGHT:
        return query.where(System.owner_id.in_(_overseen_ids(user)))
    if user.role == Role.VENDOR:
        return query.where(
            or_(Assessment.id.in_(_invited_assessment_ids(user)), System.owner_id == user.organisation_id)
        )
    return query.where(false())


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


def is_vendor(user: User) -> bool:
    return user.role == Role.VENDOR


def is_procurer(user: User) -> bool:
    return user.role == Role.PROCURER


def vendor_organisations() -> list[Organisation]:
    """The vendors a system can name or an assessment can invite, by name."""
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrganisationKind.VENDOR)
            .order_by(Organisation.name)
        )
    )


def can_create_systems(user: User) -> bool:
    """Buyers register the systems they buy; vendors the systems they sell, to self-certify them."""
    return user.role in (Role.ADMIN, Role.PROCURER, Role.VENDOR)


def can_manage_system(user: User, system: System) -> bool:
    """Edit the system, start assessments for it and invite vendors to them."""
    if user.role == Role.ADMIN:
        return True
    return user.role in (Role.PROCURER, Role.VENDOR) and system.owner_id == user.organisation_id


def is_self_certification(assessment: Assessment) -> bool:
    """An assessment a vendor made of a product it sells: the system is the vendor's own, no buyer's."""
    return assessment.system.owner.kind == OrganisationKind.VENDOR


def self_certifies(user: User, assessment: Assessment) -> bool:
    """A vendor working on an assessment of a system it sells and owns in HRIA."""
    return user.role == Role.VENDOR and assessment.system.owner_id == user.organisation_id


def can_contribute(user: User, assessment: Assessment) -> bool:
    """Answer vendor questions and upload outputs for audit: the buyer's procurers and invited vendors."""
    if can_manage_system(user, assessment.system):
        return True
    return user.role == Role.VENDOR and any(
        i.organisation_id == user.organisation_id for i in assessment.invitations
    )


ALL_ANSWERERS = frozenset({"procurer", "vendor", "either"})


def answerers_readable(user: User, assessment: Assessment) -> frozenset[str]:
    """Whose questions a user may read: a vendor reads only the vendor's part, unless it self-certifies."""
    if user.role == Role.VENDOR and not self_certifies(user, assessment):
        return frozenset({"vendor", "either"})
    return ALL_ANSWERERS


def answerers_writable(user: User, assessment: Assessment) -> frozenset[str]:
    """Whose questions a user may answer in this assessment, now."""
    if assessment.status not in EDITABLE_STATUSES:
        return frozenset()
    if user.role == Role.ADMIN or self_certifies(user, assessment):
        return ALL_ANSWERERS
    if can_manage_system(user, assessment.system):
        return frozenset({"procurer", "either"})
    if can_contribute(user, assessment):
        return frozenset({"vendor", "either"})
    return frozenset()


def reads_buyer_side(user: User, assessment: Assessment) -> bool:
    """The risk register, its findings, the remediation plan and the buyer's own discussion: every reader of
    the assessment but an invited vendor (a vendor reads them only of its own self-certification)."""
    return user.role != Role.VENDOR or self_certifies(user, assessment)


def takes_part(user: User, assessment: Assessment) -> bool:
    """A party to the work on a visible assessment: admins, the owner, its oversight bodies, invited vendors.
    A buyer that reads a vendor's shared self-certification reads its answers, not the vendor's discussion."""
    if user.role == Role.ADMIN or assessment.system.owner_id == user.organisation_id:
        return True
    if user.role == Role.OVERSIGHT:
        return (
            db.session.scalar(
                _overseen_ids(user).where(OversightAssignment.overseen_id == assessment.system.owner_id)
            )
            is not None
        )
    return user.role == Role.VENDOR and any(
        i.organisation_id == user.organisation_id for i in assessment.invitations
    )


def _question_owners(assessment: Assessment) -> dict[str, str]:
    """Question id -> who answers it, in the bank the assessment is answered against (not pinning one)."""
    bank = questions.bank_for(assessment) if assessment.bank_id is not None else questions.current_bank()
    stage = bank["stages"].get(assessment.stage, {"questions": []})
    return {q["id"]: q["answered_by"] for q in stage["questions"]}


def question_readable(user: User, assessment: Assessment, question_id: str | None) -> bool:
    """A question of the assessment's stage whose answerers' part the user reads. A question the bank does not
    know (an import from another version) is read only by those who read every part."""
    readable = answerers_readable(user, assessment)
    answered_by = _question_owners(assessment).get(question_id or "")
    return readable == ALL_ANSWERERS if answered_by is None else answered_by in readable


def evidence_readable(user: User, item: Evidence) -> bool:
    """Whether a user who reads the item's assessment reads this file: the rule of what it is attached to.
    Every list of files and the download ask this one question.

    - evidence of a question: the question's rule (``question_readable``);
    - model outputs, the data of fairness audits and explanations: the audits' rule (every reader of the
      assessment);
    - evidence of a remediation action, and anything else: the buyer side (``reads_buyer_side``), the rule of
      the
      remediation plan and the strictest rule a file of the assessment can have.
    """
    assessment = item.assessment
    if item.purpose == EvidencePurpose.QUESTION:
        return question_readable(user, assessment, item.question_id)
    if item.purpose == EvidencePurpose.MODEL_OUTPUTS:
        return True
    return reads_buyer_side(user, assessment)


def readable_evidence(user: User, items) -> list[Evidence]:
    return [item for item in items if evidence_readable(user, item)]


def audit_or_404(user: User, audit_id: int) -> FairnessAudit:
    """Audits and explanations are read by every reader of their assessment (vendors upload the outputs)."""
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
    if not evidence_readable(user, record):
        abort(404)
    return record


# Comment threads: "assessment" is the buyer side's own discussion of the whole assessment; "vendors" the
# discussion of the whole assessment open to the invited vendors; the others are about one object.
BUYER_THREAD = "assessment"
OPEN_THREAD = "vendors"


def comment_target_readable(user: User, assessment: Assessment, target: str) -> bool:
    """Whether a party to the assessment reads the thread on ``target``: its object's rule."""
    kind, _, key = target.partition(":")
    if target == BUYER_THREAD:
        return reads_buyer_side(user, assessment)
    if target == OPEN_THREAD:
        return True
    if kind == "question" and key:
        return question_readable(user, assessment, key)
    if kind in ("finding", "action"):  # the risk register's findings and the remediation plan's actions
        return reads_buyer_side(user, assessment)
    return False


def comment_readable(user: User, comment: Comment) -> bool:
    """The one rule for reading a comment, on its page and in notifications."""
    assessment = db.session.scalar(visible_assessments(user).where(Assessment.id == comment.assessment_id))
    return (
        assessment is not None
        and takes_part(user, assessment)
        and comment_target_readable(user, assessment, comment.target)
    )


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def owner_choices(user: User):
    """Organisations a user may register a system for."""
    if user.role == Role.VENDOR:
        return [user.organisation]
    query = (
        select(Organisation).where(Organisation.kind == OrganisationKind.BUYER).order_by(Organisation.name)
    )
    if user.role != Role.ADMIN:
        query = query.where(Organisation.id == user.organisation_id)
    return db.session.scalars(query).all()
