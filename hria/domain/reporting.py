"""Issuing, countersigning, registering and verifying signed reports of assessments."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import cast

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from hria import database
from hria.domain import answers as answer_rules
from hria.domain import conditions, crosswalk, questions, risk_register, scoring, signing_keys, workflow
from hria.domain.models import (
    Assessment,
    Evidence,
    FairnessAudit,
    Finding,
    Organisation,
    RemediationAction,
    Report,
    User,
    utcnow,
)
from hria.domain.vocabulary import (
    ASSESSMENT_STATUSES,
    CONDITION_STATUSES,
    LIFECYCLE_STAGES,
    REMEDIATION_STATUSES,
    SECTORS,
    EvidencePurpose,
    ReportKind,
)
from hria.extensions import db
from reports import Party, ReportIdentity, SignatureAppearance, build_report, content, sign_pdf, verify_pdf
from reports.fonts import FontNotFound
from reports.verify import ISSUER, OVERSIGHT, OWNER, RELATIONS, STRANGER, Verification

KINDS = tuple(ReportKind)


class ReportError(ValueError):
    """A report that cannot be issued, stored or countersigned; the message says why."""


@event.listens_for(Report, "before_update")
def _immutable(mapper, connection, target: Report) -> None:
    from sqlalchemy import inspect

    state = inspect(target)
    for name in ("sha256", "path", "code", "kind", "assessment_id", "signers"):
        if state.attrs[name].history.has_changes():
            raise ReportError(f"An issued report cannot be changed ({name}); issue a new version instead.")


def folder() -> Path:
    path = Path(current_app.instance_path) / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


_PENDING = "hria_pending_reports"  # session.info: path -> bytes, written once the transaction commits


def store(pdf: bytes) -> tuple[str, Path]:
    """The file's place under its SHA-256. It is written when the transaction that registers it commits, so a
    failed commit leaves no file behind; an existing file is never overwritten."""
    sha = hashlib.sha256(pdf).hexdigest()
    path = folder() / f"{sha}.pdf"
    pending = db.session.info.setdefault(_PENDING, {})
    if path.exists() or str(path) in pending:
        raise ReportError(
            f"A report with SHA-256 {sha} is already in the registry; it cannot be issued again."
        )
    pending[str(path)] = pdf
    return sha, path


def pdf_of(report: Report) -> bytes:
    """The signed file of a registered report, also before the transaction that registers it has committed."""
    pending = db.session.info.get(_PENDING, {})
    return pending[report.path] if report.path in pending else Path(report.path).read_bytes()


@event.listens_for(Session, "after_commit")
def _write_pending(session: Session) -> None:
    for name, pdf in session.info.pop(_PENDING, {}).items():
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue  # the same SHA-256: the same bytes are already there
        with os.fdopen(fd, "wb") as handle:
            handle.write(pdf)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def issuer_of(assessment: Assessment, kind: str) -> Organisation:
    if kind == ReportKind.RISK:
        return assessment.system.owner
    if kind == ReportKind.SELF_CERTIFICATION:
        if assessment.system.vendor is None:
            raise ReportError("This system has no vendor to self-certify it.")
        return assessment.system.vendor
    oversight = [a.oversight for a in _oversight_of(assessment.system.owner)]
    if not oversight:
        raise ReportError(
            "No oversight body oversees this organisation, so there is no one to issue a review."
        )
    return oversight[0]


def _oversight_of(organisation: Organisation):
    from hria.domain.models import OversightAssignment

    return db.session.query(OversightAssignment).filter_by(overseen_id=organisation.id).all()


def countersigners(system, kind: str) -> list[tuple[Organisation, str]]:
    """Who countersigns a report of this kind on this system, and as what: for a vendor's self-certification
    the buyer that owns the system, then the oversight bodies of the system's owner. The one rule for the
    sign-off page, the registry's relations and who is awaited."""
    found: list[tuple[Organisation, str]] = []
    if kind == ReportKind.SELF_CERTIFICATION:
        found.append((system.owner, OWNER))
    found += [(assignment.oversight, OVERSIGHT) for assignment in _oversight_of(system.owner)]
    return found


def issue(
    assessment: Assessment,
    kind: str,
    user: User | None,
    lang: str | None = None,
    issuer: Organisation | None = None,
    draft: bool = False,
) -> Report:
    """Sign and register a report. Of incomplete work only a draft, marked as such, may be issued."""
    if kind not in KINDS:
        raise ReportError(f"Unknown kind of report '{kind}'; use one of {', '.join(KINDS)}.")
    issuer = issuer or issuer_of(assessment, kind)
    lang = lang or assessment.language
    # Two issues at once: the second waits, then finds the first as its previous version.
    database.lock_for_write(db.session, assessment)
    gaps = workflow.completeness(assessment, answerers_of(kind))
    if not gaps.complete and not draft:
        raise ReportError(
            f"The assessment is incomplete ({gaps.describe()}): answer the rest first, or issue the report "
            f"as a draft, which is marked “Draft — incomplete” in the PDF and in the registry."
        )
    # The previous version is the same issuer's: two vendors certifying their parts of one assessment each
    # keep their own report, and neither can supersede the other's.
    # A draft never supersedes the assessment's report, nor a report a draft.
    current = (
        db.session.query(Report)
        .filter_by(assessment_id=assessment.id, kind=kind, superseded_by_id=None, draft=not gaps.complete)
        .order_by(Report.id.desc())
    )
    previous = next((r for r in current if issuer_name(r) == issuer.name), None)
    code = previous.code if previous else f"HRIA-{utcnow():%Y}-{secrets.token_hex(4).upper()}"
    version = (previous.version + 1) if previous else 1
    data = report_data(assessment, kind, lang, issuer, f"{code}-v{version}")
    signer = signing_keys.signer_for(issuer)
    try:
        unsigned = build_report(data, cjk_font=current_app.config.get("CJK_FONT"))
    except FontNotFound as error:
        raise ReportError(str(error)) from None
    pdf = sign_pdf(
        unsigned,
        signer,
        name=issuer.name,
        reason=f"Issued: {data['title']}",
        timestamp_url=current_app.config.get("TIMESTAMP_URL"),
        identity=ReportIdentity(code=code, version=version, issuer=issuer.name),
        countersignatures=len(data["signoff"]) - 1,
        appearance=_appearance(user, issuer, data["signoff"][0]["role"], lang),
    )
    sha, path = store(pdf)
    report = Report(
        code=code,
        assessment_id=assessment.id,
        kind=kind,
        language=lang,
        version=version,
        sha256=sha,
        path=str(path),
        signers=json.dumps([issuer.name]),
        issued_by_id=user.id if user else None,
        draft=data.get("draft", False),
    )
    db.session.add(report)
    db.session.flush()
    if previous is not None:
        previous.superseded_by_id = report.id
    return report


def countersign(report: Report, organisation: Organisation, user: User | None) -> Report:
    # Two countersignatures at once: the second waits, then sees the first's new version and is refused. The
    # lock is the assessment's, as when issuing, so issuing and countersigning wait for each other in one
    # order.
    database.lock_for_write(db.session, report.assessment)
    if report.superseded_by_id is not None:
        raise ReportError("This report has been superseded; countersign the current version.")
    if report.draft:
        raise ReportError(
            "A draft of incomplete work cannot be countersigned: complete the assessment and issue its "
            "report."
        )
    signed_by = json.loads(report.signers)
    if organisation.name in signed_by:
        raise ReportError(f"{organisation.name} has already signed this report.")
    if relations(report).get(organisation.id) not in (OVERSIGHT, OWNER):
        raise ReportError(
            f"{organisation.name} has no part in report {report.label}: only a body "
            f"that oversees {report.assessment.system.owner.name}"
            + (" or the buyer itself" if report.kind == ReportKind.SELF_CERTIFICATION else "")
            + " may countersign it."
        )
    role = {OVERSIGHT: "countersignature (oversight)", OWNER: "countersignature (buyer)"}[
        relations(report)[organisation.id]
    ]
    countersigned = sign_pdf(
        pdf_of(report),
        signing_keys.signer_for(organisation),
        name=organisation.name,
        reason="Countersigned",
        timestamp_url=current_app.config.get("TIMESTAMP_URL"),
        appearance=_appearance(user, organisation, role, report.language),
    )
    sha, path = store(countersigned)
    new = Report(
        code=report.code,
        assessment_id=report.assessment_id,
        kind=report.kind,
        language=report.language,
        version=report.version,
        sha256=sha,
        path=str(path),
        signers=json.dumps([*signed_by, organisation.name]),
        issued_by_id=user.id if user else None,
    )
    db.session.add(new)
    db.session.flush()
    report.superseded_by_id = new.id
    return new


def verify_url() -> str:
    """The public verification page, when the instance knows its public address (``PUBLIC_URL``)."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{base}/verify" if base else ""


def _appearance(user: User | None, organisation: Organisation, role: str, lang: str) -> SignatureAppearance:
    """What a signature shows: the person who signed (the organisation itself from the command line)."""
    return SignatureAppearance(
        name=(user.name if user is not None and user.name else organisation.name),
        role=role,
        organisation=organisation.name,
        verify_url=verify_url(),
        lang=lang,
        cjk_font=current_app.config.get("CJK_FONT"),
    )


def answerers_of(kind: str) -> tuple[str, ...]:
    """Whose questions a report of this kind covers: a vendor certifies only its own part."""
    if kind == ReportKind.SELF_CERTIFICATION:
        return ("vendor", "either")
    return workflow.EVERY_PARTY


def issuer_name(report: Report) -> str:
    """The organisation that signed the report first."""
    return str(json.loads(report.signers)[0])


def relations(report: Report) -> dict[int, str]:
    """Organisation id → what it is to this report: its issuer (who signed this version first), the oversight
    bodies of the system's owner and, for a vendor's self-certification, the buyer that owns the system."""
    out = {org.id: relation for org, relation in countersigners(report.assessment.system, report.kind)}
    first = (
        db.session.query(Report)
        .filter_by(code=report.code, version=report.version)
        .order_by(Report.id)
        .first()
    ) or report
    issuer = db.session.query(Organisation).filter_by(name=json.loads(first.signers)[0]).first()
    if issuer is not None:
        out[issuer.id] = ISSUER
    return out


def signers_described(report: Report) -> list[str]:
    """The report's signers in signing order, each with what it is to the report."""
    known = relations(report)
    ids = dict(
        db.session.query(Organisation.name, Organisation.id).filter(
            Organisation.name.in_(json.loads(report.signers))
        )
    )
    return [
        f"{name} ({RELATIONS[known.get(ids[name], STRANGER) if name in ids else STRANGER]})"
        for name in json.loads(report.signers)
    ]


def awaited(report: Report) -> list[str]:
    """Who is still to countersign this file, each with what it is to the report: none for a draft (which
    cannot be countersigned) or a file a later one replaces."""
    if report.draft or report.superseded_by_id is not None:
        return []
    signed = set(json.loads(report.signers))
    known = relations(report)
    names = dict(db.session.query(Organisation.id, Organisation.name).filter(Organisation.id.in_(known)))
    return [
        f"{names[org_id]} ({RELATIONS[relation]})"
        for org_id, relation in known.items()
        if relation in (OVERSIGHT, OWNER) and names.get(org_id) not in signed
    ]


def current_version(code: str) -> Report | None:
    return (
        db.session.query(Report)
        .filter_by(code=code, superseded_by_id=None)
        .order_by(Report.id.desc())
        .first()
    )


@dataclass
class Checked:
    """A file's verification together with what the registry knows of it."""

    result: Verification
    sha256: str
    registered: Report | None  # this very file, if the registry issued it
    current: Report | None  # the registry's current version of the same report

    @property
    def superseded(self) -> bool:
        return self.current is not None and self.current.sha256 != self.sha256

    @property
    def ok(self) -> bool:
        """Verified, and the current word: a superseded file is never reported as verified."""
        return self.result.ok and not self.superseded

    @property
    def verdict(self) -> str:
        if self.ok:
            return (
                "Verified: every signature is intact and trusted, each signer is a party to the report, "
                "nothing but signatures was added after the first, and this is the current version."
            )
        if self.result.ok and self.registered is None:
            # signed outside the registry: no version replaces it, since it was never issued
            assert self.current is not None  # else it would not be superseded, and so verified
            return (
                f"Not verified as the current report: the signatures hold, but this file is not a registered "
                f"version of report {self.current.code}."
            )
        if self.result.ok:
            return (
                "Not verified as the current report: the signatures hold, but a later version replaces "
                "this file."
            )
        return "Not verified: this file cannot be relied on as issued."

    def problems(self) -> list[str]:
        return self.result.problems() + ([self._supersession()] if self.superseded else [])

    def _supersession(self) -> str:
        assert self.current is not None, "only a superseded file has a supersession"
        later = _described(self.current)
        if self.registered is not None:
            count = len(json.loads(self.registered.signers))
            return (
                f"This is an earlier version of report {self.registered.label} "
                f"({count} signature{'s' if count != 1 else ''}). The registry holds a later one: {later}. "
                f"Rely on that file, not on this one."
            )
        return (
            f"This file is not one this instance issued for report {self.current.code}. The registry's "
            f"current version is {later}. Rely on that file."
        )

    def registry_note(self) -> str:
        if self.registered is None and self.current is None:
            return "This file is not in this instance's registry of issued reports."
        if self.registered is None:
            assert self.current is not None
            return f"This file is not in this instance's registry; report {self.current.code} is."
        report = self.registered
        state = "superseded by a later version" if self.superseded else "the current version"
        return f"This is report {report.label} ({report.kind}) of this instance's registry, {state}."


def _described(report: Report) -> str:
    """A registered file in words: which version, who signed it as what, and when."""
    first, *rest = signers_described(report)
    return (
        f"{report.label}, signed by {first}"
        + (f" and countersigned by {', '.join(rest)}" if rest else "")
        + f" on {report.issued_at:%Y-%m-%d}"
    )


def verify(data: bytes) -> Checked:
    """Raises NotSignedPdf for a file that is not a signed PDF."""
    sha = hashlib.sha256(data).hexdigest()
    registered = db.session.query(Report).filter_by(sha256=sha).first()
    seen: dict[str, Report | None] = {}

    def parties(identity: ReportIdentity) -> dict[str, Party] | None:
        report = registered or _registered_as(identity)
        seen["report"] = report
        return None if report is None else _parties_of(report)

    result = verify_pdf(data, signing_keys.trust_roots(), parties=parties)
    report = seen.get("report")
    return Checked(
        result=result,
        sha256=sha,
        registered=registered,
        current=current_version(report.code) if report is not None else None,
    )


def _registered_as(identity: ReportIdentity) -> Report | None:
    """The registry's entry for the report a file says it is (its first registered file of that version).

    Every file this instance issues names its code and version; anything else (no version, a code longer than
    the column, a NUL that PostgreSQL refuses, a version beyond an SQL INTEGER) names no report here.
    """
    code, version = identity.code, identity.version
    if (
        not code
        or len(code) > Report.code.type.length
        or "\x00" in code
        or version is None
        or not 0 <= version <= ReportIdentity.MAX_VERSION
    ):
        return None
    return db.session.query(Report).filter_by(code=code, version=version).order_by(Report.id).first()


def _parties_of(report: Report) -> dict[str, Party]:
    """Every certificate registered here, mapped to its organisation and what that is to the report."""
    known = relations(report)
    names = dict(db.session.query(Organisation.id, Organisation.name))
    return {
        fp: Party(names[organisation_id], known.get(organisation_id, STRANGER))
        for fp, organisation_id in signing_keys.registered_certificates().items()
        if organisation_id in names
    }


def report_data(
    assessment: Assessment, kind: str, lang: str, issuer: Organisation, report_id: str
) -> content.ReportContent:
    """Everything the PDF shows, as plain data for the reports library."""
    bank = questions.bank_for(assessment)
    stage = questions.stage_questions(bank, assessment)
    answers = questions.answers_of(assessment)
    not_applicable = dict(answer_rules.not_applicable(assessment))
    impact = risk_register.current_impact(assessment)
    system = assessment.system
    evidence: dict[str, list[content.EvidenceFile]] = {}
    for item in db.session.query(Evidence).filter_by(
        assessment_id=assessment.id, purpose=EvidencePurpose.QUESTION
    ):
        if item.question_id is not None:  # a question's evidence always names its question
            evidence.setdefault(item.question_id, []).append({"name": item.filename, "sha256": item.sha256})
    readable = set(answerers_of(kind))
    gaps = workflow.completeness(assessment, answerers_of(kind))
    # A vendor certifying its part of a buyer's assessment reads only that part: the buyer's scores, risk
    # register and remediation plan stay out of its report (they are its own only when it owns the system).
    buyer_side = kind != ReportKind.SELF_CERTIFICATION or system.owner_id == issuer.id
    shown = [
        q for q in scoring.visible_questions(stage, answers, system.sector) if q["answered_by"] in readable
    ]
    sections: list[content.Section] = []
    for section in stage["sections"]:
        members = [q for q in shown if q["section"] == section["key"]]
        if members:
            sections.append(
                {
                    "title": questions.text(section, lang),
                    "questions": [
                        {
                            "id": q["id"],
                            "text": questions.text(q["text"], lang),
                            "cites": q["cites"],
                            "answer": questions.describe_answer(bank, q, answers.get(q["id"]), lang)
                            + (f" — {not_applicable[q['id']]}" if not_applicable.get(q["id"]) else ""),
                            "evidence": evidence.get(q["id"], []),
                        }
                        for q in members
                    ],
                }
            )
    actions: list[content.RemediationAction] = [
        {
            "action": a.text,
            "paragraph": a.paragraph,
            "right": questions.term(bank, "rights", a.right, lang),
            "owner": a.owner,
            "due": a.due_date.isoformat() if a.due_date else "",
            "status": REMEDIATION_STATUSES.label(a.status, lang),
            "state": _state(a),
        }
        for a in db.session.query(RemediationAction)
        .filter_by(assessment_id=assessment.id)
        .order_by(RemediationAction.id)
        if buyer_side
    ]
    risks = _risks(assessment, bank) if buyer_side else []
    approval_conditions: list[content.Condition] = [
        {
            "condition": c.text,
            "owner": c.owner,
            "due": c.due_date.isoformat() if c.due_date else "",
            "status": CONDITION_STATUSES.label(c.status, lang),
            "fulfilment": c.fulfilment,
        }
        for c in conditions.of_assessment(assessment)
        if buyer_side
    ]
    fairness_results, explanations = _checks(assessment)
    cited = sorted({c for q in shown for c in q["cites"]}, key=lambda c: (int(c[1:].split("(")[0]), c))
    title = {
        ReportKind.RISK: "risk and remediation report",
        ReportKind.SELF_CERTIFICATION: "self-certification",
        ReportKind.REVIEW: "oversight review",
    }[ReportKind(kind)]
    level = impact.level if assessment.impact_level and buyer_side else None
    summary = [
        f"{system.name} ({SECTORS.label(system.sector, lang)}) was assessed at the "
        f"{LIFECYCLE_STAGES.label(assessment.stage, lang)} stage against question bank {bank['version']}.",
    ]
    if buyer_side:
        still_open = (
            REMEDIATION_STATUSES.label("open", lang),
            REMEDIATION_STATUSES.label("in_progress", lang),
        )
        summary += [
            (
                f"Impact level {level}: {impact.score:.2f} of {impact.raw_max:g} attainable impact points "
                f"({impact.share:.0%}), with {impact.mitigation:g} of {impact.mitigation_max:g} "
                f"mitigation points."
                if level
                else "The assessment has not been scored yet."
            ),
            f"{len(risks)} right(s) are in the risk register and {len(actions)} remediation action(s) are "
            f"planned, "
            f"{sum(1 for a in actions if a['status'] in still_open)} of them still open.",
        ]
    else:
        summary.append(
            f"{issuer.name} certifies its own answers to {system.owner.name}'s assessment; the buyer's "
            f"impact level, risk register and remediation plan are not part of this certification."
        )
    if approval_conditions:
        unmet = sum(1 for c in conditions.of_assessment(assessment) if c.status != conditions.FULFILLED)
        summary.append(
            f"The oversight body approved the assessment on {len(approval_conditions)} condition(s); "
            f"{unmet} of them not yet fulfilled (listed under “Conditions of approval”)."
        )
    if buyer_side and not_applicable:
        summary.append(
            f"{len(not_applicable)} question(s) marked not applicable, each taken out of the score: "
            + "; ".join(f"{qid} ({reason or 'no reason given'})" for qid, reason in not_applicable.items())
            + "."
        )
    if fairness_results:
        summary.append(f"{len(fairness_results)} fairness audit(s) of the model's outputs are included.")
    roles = {OWNER: "countersignature (buyer)", OVERSIGHT: "countersignature (oversight)"}
    signoff: list[content.Signatory] = [{"organisation": issuer.name, "role": title}]
    signoff += [
        {"organisation": org.name, "role": roles[relation]}
        for org, relation in countersigners(system, kind)
        if org.id != issuer.id
    ]
    data: content.ReportContent = {
        "kind": kind,
        "lang": lang,
        "title": title,
        "report_id": report_id,
        "issued_at": utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        "organisation": issuer.name,
        "system": {
            "name": system.name,
            "purpose": system.purpose,
            "sector": SECTORS.label(system.sector, lang),
            "owner": system.owner.name,
            "vendor": system.vendor.name if system.vendor else "",
            "automated_decisions": system.automated_decisions,
        },
        "stage": LIFECYCLE_STAGES.label(assessment.stage, lang),
        "bank_version": bank["version"],
        "review": {
            "status": ASSESSMENT_STATUSES.label(assessment.status, lang),
            "countersigners": [s["organisation"] for s in signoff[1:]],
        },
        "verify_url": verify_url(),
        "conditions": approval_conditions,
        "draft": not gaps.complete,
        "answered": gaps.answered,
        "questions": gaps.total,
        "impact": {
            "level": level,
            "raw": impact.raw,
            "raw_max": impact.raw_max,
            "mitigation": impact.mitigation,
            "mitigation_max": impact.mitigation_max,
            "reduced": impact.reduced,
            "score": impact.score,
            "share": impact.share,
        }
        if level
        else None,
        "summary": summary,
        "method": {
            "checks": [
                f"{len(shown)} questions of the {LIFECYCLE_STAGES.label(assessment.stage, lang)} stage "
                f"were asked; each cites the paragraphs of UN-Habitat's International Guidelines on "
                f"People-Centred Smart Cities it rests on.",
                "Fairness audits compare group rates with Wilson intervals and bootstrap intervals of "
                "differences and ratios; explanations use a surrogate model and SHAP.",
            ],
            "paragraphs": cited,
        },
        "sections": sections,
        "risks": risks,
        "risk_matrix": _matrix(bank, lang),
        "fairness": fairness_results,
        "explanations": explanations,
        "remediation": actions,
        "obligations": risk_register.obligations(assessment),
        "signoff": signoff,
    }
    if not buyer_side:
        # not the issuer's to read: left out of its report altogether, not shown empty
        for key in ("impact", "risks", "risk_matrix", "remediation", "obligations"):
            data.pop(key)  # type: ignore[misc]
    if buyer_side:
        data["grievances"] = _grievances(system)
        data["coverage"] = crosswalk.for_report(assessment, lang)
    return data


def _state(action: RemediationAction) -> str:
    """Where an action stands on the progress bar: done, in progress, overdue or open."""
    if action.status not in risk_register.OPEN_STATUSES:
        return "done"
    if action.due_date is not None and action.due_date < date.today():
        return "overdue"
    return action.status


def _matrix(bank: dict, lang: str) -> content.RiskMatrix:
    matrix = bank["risk_matrix"]
    values = [row["value"] for row in matrix["scale_labels"]]
    labels = {row["level"]: questions.text(row, lang) for row in matrix["levels"]}
    bands = matrix.get("severity_bands", matrix["levels"])
    return {
        "severity": [3 * min(values), 3 * max(values)],  # scale + scope + reversibility
        "likelihood": [min(values), max(values)],
        "levels": [
            {"key": row["level"], "label": labels[row["level"]], "up_to": row["up_to"]} for row in bands
        ],
        "basis": "severity" if "severity_bands" in matrix else "risk",
    }


ONE_LINE = 160  # characters of a risk's finding in the register


def _risks(assessment: Assessment, bank: dict) -> list[content.Risk]:
    technical: dict[str, list[str]] = {}
    for finding in db.session.query(Finding).filter_by(assessment_id=assessment.id).order_by(Finding.id):
        technical.setdefault(finding.right, []).append(finding.text)
    open_actions = (
        db.session.query(RemediationAction)
        .filter(
            RemediationAction.assessment_id == assessment.id,
            RemediationAction.status.in_(risk_register.OPEN_STATUSES),
        )
        .order_by(RemediationAction.due_date.is_(None), RemediationAction.due_date, RemediationAction.id)
        .all()
    )
    risks: list[content.Risk] = []
    for row in risk_register.register(assessment):
        rating = row.rating
        next_action = next((a for a in open_actions if a.right == row.right), None)
        risk: content.Risk = {
            "right": row.label,
            "finding": _one_line(row.sources, technical.get(row.right, [])),
            "findings": row.sources,
            "level": row.level_label,
            "level_key": row.level,
            "severity": row.severity,
            "treatment": rating.treatment if rating else "",
            "owner": next_action.owner if next_action else None,
            "due": next_action.due_date.isoformat() if next_action and next_action.due_date else None,
        }
        if rating:
            risk["scale"], risk["scope"] = rating.scale, rating.scope
            risk["reversibility"], risk["likelihood"] = rating.reversibility, rating.likelihood
        risks.append(risk)
    return risks


def _one_line(sources: list[str], technical: list[str]) -> str:
    """A right's finding in one line: the first technical finding's headline (what a test measured), else the
    first answer that flags it, with how many more there are."""
    first = technical[0].split(": ", 1)[0] if technical else (sources[0] if sources else "")
    more = len(sources) - 1
    line = first if len(first) <= ONE_LINE else first[: ONE_LINE - 1].rstrip() + "…"
    return f"{line} (+{more})" if more > 0 else line


def _grievances(system) -> content.Grievances:

    from hria.domain import grievances

    return grievances.summary([system.id])


def _checks(assessment: Assessment) -> tuple[list[content.FairnessResult], list[content.Explanation]]:
    fairness_results: list[content.FairnessResult] = []
    explanations: list[content.Explanation] = []
    for record in (
        db.session.query(FairnessAudit)
        .filter_by(assessment_id=assessment.id, status="done")
        .order_by(FairnessAudit.id)
    ):
        assert record.result is not None, "a finished audit has its result"
        result = json.loads(record.result)
        if record.kind == "explanation":
            explanations.append(
                {
                    "file": record.evidence.filename,
                    "fidelity": result["fidelity"]["message"],
                    "explains_model": result["explains_model"],
                    "importance": [
                        {"feature": row["feature"], "share": row["share"]}
                        for row in result["global_importance"]
                    ],
                    "flags": [f["text"] for f in result["flags"] if f["flagged"]],
                    "proxies": list(dict.fromkeys(f["feature"] for f in result["flags"] if f["flagged"])),
                }
            )
            continue
        from hria.domain.fairness_audits import KEY_METRICS, plan_sentence
        from hria.domain.fairness_results import (
            adjusted_verdict,
            adjustment_sentence,
            finding_sentence,
            group_name,
            with_ratio_notes,
        )

        result = with_ratio_notes(result)

        findings = [
            d
            for d in result["disparities"]
            if adjusted_verdict(d) == "disparity"
            and d["family"] != "intersection"
            and d["metric"] in KEY_METRICS
        ]
        parameters = result["parameters"]
        judged = [
            d
            for d in result["disparities"]
            if d["verdict"] and d["family"] != "intersection" and d["metric"] in KEY_METRICS
        ]
        entry: content.FairnessResult = {
            "file": record.evidence.filename,
            "sha256": record.evidence.sha256,
            "rows": result["rows"],
            "findings": [finding_sentence(d, parameters["confidence"]) for d in findings[:10]],
            "groups": [
                cast(content.FairnessGroup, {**g, "name": group_name(g["group"])}) for g in result["groups"]
            ],
            "confidence": parameters["confidence"],
            "ratio_band": [parameters["ratio_threshold"], 1 / parameters["ratio_threshold"]],
            "references": {d["family"]: group_name(d["reference"]) for d in judged},
            "verdicts": [
                {
                    "group": group_name(d["group"]),
                    "reference": group_name(d["reference"]),
                    "metric": d["metric"],
                    "family": d["family"],
                    "verdict": adjusted_verdict(d) or "",
                    "ratio": d["ratio"],
                    "low": d["ratio_interval"][0],
                    "high": d["ratio_interval"][1],
                    "not_estimable": d["ratio_not_estimable"] or "",
                }
                for d in judged
            ],
            "adjustment": adjustment_sentence(result),
        }
        if record.plan is not None:
            entry["plan_sha256"], entry["plan"] = record.plan.sha256, plan_sentence(record, result)
        fairness_results.append(entry)
    return fairness_results, explanations
