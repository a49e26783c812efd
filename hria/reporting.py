"""Issuing, countersigning, registering and verifying signed reports of assessments."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import event

from reports import build_report, sign_pdf, verify_pdf
from reports.verify import NotSignedPdf, Verification

from . import questions, register, scoring, signing_keys
from .extensions import db
from .models import (Assessment, Evidence, FairnessAudit, Organisation, RemediationAction, Report, User, utcnow)
from .vocabulary import LIFECYCLE_STAGES, REMEDIATION_STATUSES, SECTORS

KINDS = ("risk", "self-certification", "review")


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


def store(pdf: bytes) -> tuple[str, Path]:
    """Write the file under its SHA-256; an existing file is never overwritten."""
    import hashlib

    sha = hashlib.sha256(pdf).hexdigest()
    path = folder() / f"{sha}.pdf"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ReportError(f"A report with SHA-256 {sha} is already in the registry; it cannot be issued again.") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(pdf)
    return sha, path


def issuer_of(assessment: Assessment, kind: str) -> Organisation:
    if kind == "risk":
        return assessment.system.owner
    if kind == "self-certification":
        if assessment.system.vendor is None:
            raise ReportError("This system has no vendor to self-certify it.")
        return assessment.system.vendor
    oversight = [a.oversight for a in _oversight_of(assessment.system.owner)]
    if not oversight:
        raise ReportError("No oversight body oversees this organisation, so there is no one to issue a review.")
    return oversight[0]


def _oversight_of(organisation: Organisation):
    from .models import OversightAssignment

    return db.session.query(OversightAssignment).filter_by(overseen_id=organisation.id).all()


def issue(assessment: Assessment, kind: str, user: User | None, lang: str | None = None,
          issuer: Organisation | None = None) -> Report:
    if kind not in KINDS:
        raise ReportError(f"Unknown kind of report '{kind}'; use one of {', '.join(KINDS)}.")
    issuer = issuer or issuer_of(assessment, kind)
    lang = lang or assessment.language
    previous = (db.session.query(Report).filter_by(assessment_id=assessment.id, kind=kind, superseded_by_id=None)
                .order_by(Report.id.desc()).first())
    code = previous.code if previous else f"HRIA-{utcnow():%Y}-{secrets.token_hex(4).upper()}"
    version = (previous.version + 1) if previous else 1
    data = report_data(assessment, kind, lang, issuer, f"{code}-v{version}")
    signer = signing_keys.signer_for(issuer)
    pdf = sign_pdf(build_report(data), signer, name=issuer.name, reason=f"Issued: {data['title']}",
                   timestamp_url=current_app.config.get("TIMESTAMP_URL"))
    sha, path = store(pdf)
    report = Report(code=code, assessment_id=assessment.id, kind=kind, language=lang, version=version, sha256=sha,
                    path=str(path), signers=json.dumps([issuer.name]), issued_by_id=user.id if user else None)
    db.session.add(report)
    db.session.flush()
    if previous is not None:
        previous.superseded_by_id = report.id
    return report


def countersign(report: Report, organisation: Organisation, user: User | None) -> Report:
    if report.superseded_by_id is not None:
        raise ReportError("This report has been superseded; countersign the current version.")
    signed_by = json.loads(report.signers)
    if organisation.name in signed_by:
        raise ReportError(f"{organisation.name} has already signed this report.")
    pdf = Path(report.path).read_bytes()
    countersigned = sign_pdf(pdf, signing_keys.signer_for(organisation), name=organisation.name,
                             reason="Countersigned", timestamp_url=current_app.config.get("TIMESTAMP_URL"))
    sha, path = store(countersigned)
    new = Report(code=report.code, assessment_id=report.assessment_id, kind=report.kind, language=report.language,
                 version=report.version, sha256=sha, path=str(path), signers=json.dumps(signed_by + [organisation.name]),
                 issued_by_id=user.id if user else None)
    db.session.add(new)
    db.session.flush()
    report.superseded_by_id = new.id
    return new


def verify(data: bytes) -> tuple[Verification, Report | None]:
    """Raises NotSignedPdf for a file that is not a signed PDF."""
    import hashlib

    result = verify_pdf(data, signing_keys.trust_roots())
    registered = db.session.query(Report).filter_by(sha256=hashlib.sha256(data).hexdigest()).first()
    return result, registered


def report_data(assessment: Assessment, kind: str, lang: str, issuer: Organisation, report_id: str) -> dict:
    """Everything the PDF shows, as plain data for the reports library."""
    bank = questions.bank_for(assessment)
    stage = questions.stage_questions(bank, assessment)
    answers = questions.answers_of(assessment)
    impact = register.current_impact(assessment)
    system = assessment.system
    evidence = {}
    for item in db.session.query(Evidence).filter_by(assessment_id=assessment.id, purpose="question"):
        evidence.setdefault(item.question_id, []).append({"name": item.filename, "sha256": item.sha256})
    readable = {"procurer", "vendor", "either"} if kind != "self-certification" else {"vendor", "either"}
    shown = [q for q in scoring.visible_questions(stage, answers) if q["answered_by"] in readable]
    sections = []
    for section in stage["sections"]:
        members = [q for q in shown if q["section"] == section["key"]]
        if members:
            sections.append({"title": questions.text(section, lang), "questions": [
                {"id": q["id"], "text": questions.text(q["text"], lang), "cites": q["cites"],
                 "answer": questions.describe_answer(bank, q, answers.get(q["id"]), lang), "evidence": evidence.get(q["id"], [])}
                for q in members]})
    risks = []
    for row in register.register(assessment):
        rating = row.rating
        risks.append({"right": row.label, "findings": row.sources, "level": row.level_label,
                      **({"scale": rating.scale, "scope": rating.scope, "reversibility": rating.reversibility,
                          "likelihood": rating.likelihood} if rating else {})})
    actions = [{"action": a.text, "paragraph": a.paragraph, "right": questions.term(bank, "rights", a.right, lang),
                "owner": a.owner, "due": a.due_date.isoformat() if a.due_date else "",
                "status": REMEDIATION_STATUSES.label(a.status, lang)}
               for a in db.session.query(RemediationAction).filter_by(assessment_id=assessment.id)
               .order_by(RemediationAction.id)]
    fairness_results, explanations = _checks(assessment)
    cited = sorted({c for q in shown for c in q["cites"]}, key=lambda c: (int(c[1:].split("(")[0]), c))
    title = {"risk": "risk and remediation report", "self-certification": "self-certification",
             "review": "oversight review"}[kind]
    level = impact.level if assessment.impact_level else None
    summary = [
        f"{system.name} ({SECTORS.label(system.sector, lang)}) was assessed at the "
        f"{LIFECYCLE_STAGES.label(assessment.stage, lang)} stage against question bank {bank['version']}.",
        (f"Impact level {level}: {impact.score:.2f} of {impact.raw_max:g} attainable impact points "
         f"({impact.share:.0%}), with {impact.mitigation:g} of {impact.mitigation_max:g} mitigation points."
         if level else "The assessment has not been scored yet."),
        f"{len(risks)} right(s) are in the risk register and {len(actions)} remediation action(s) are planned, "
        f"{sum(1 for a in actions if a['status'] in (REMEDIATION_STATUSES.label('open', lang), REMEDIATION_STATUSES.label('in_progress', lang)))} of them still open.",
    ]
    if fairness_results:
        summary.append(f"{len(fairness_results)} fairness audit(s) of the model's outputs are included.")
    oversight = [a.oversight.name for a in _oversight_of(system.owner)]
    signoff = [{"organisation": issuer.name, "role": title}]
    signoff += [{"organisation": name, "role": "countersignature (oversight)"} for name in oversight
                if name != issuer.name]
    return {
        "kind": kind, "lang": lang, "title": title, "report_id": report_id, "issued_at": utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        "organisation": issuer.name,
        "system": {"name": system.name, "purpose": system.purpose, "sector": SECTORS.label(system.sector, lang),
                   "owner": system.owner.name, "vendor": system.vendor.name if system.vendor else "",
                   "automated_decisions": system.automated_decisions},
        "stage": LIFECYCLE_STAGES.label(assessment.stage, lang), "bank_version": bank["version"],
        "impact": {"level": level, "raw": impact.raw, "raw_max": impact.raw_max, "mitigation": impact.mitigation,
                   "mitigation_max": impact.mitigation_max, "reduced": impact.reduced, "score": impact.score,
                   "share": impact.share} if level else {},
        "summary": summary,
        "method": {"checks": [f"{len(shown)} questions of the {LIFECYCLE_STAGES.label(assessment.stage, lang)} stage "
                              f"were asked; each cites the paragraphs of UN-Habitat's International Guidelines on "
                              f"People-Centred Smart Cities it rests on.",
                              "Fairness audits compare group rates with Wilson intervals and bootstrap intervals of "
                              "differences and ratios; explanations use a surrogate model and SHAP."],
                   "paragraphs": cited},
        "sections": sections, "risks": risks, "fairness": fairness_results, "explanations": explanations,
        "remediation": actions, "obligations": register.obligations(assessment), "signoff": signoff,
    }


def _checks(assessment: Assessment) -> tuple[list[dict], list[dict]]:
    fairness_results, explanations = [], []
    for record in (db.session.query(FairnessAudit).filter_by(assessment_id=assessment.id, status="done")
                   .order_by(FairnessAudit.id)):
        result = json.loads(record.result)
        if record.kind == "explanation":
            explanations.append({"file": record.evidence.filename, "fidelity": result["fidelity"]["message"],
                                 "explains_model": result["explains_model"],
                                 "importance": result["global_importance"],
                                 "flags": [f["text"] for f in result["flags"] if f["flagged"]]})
            continue
        from .audits.presentation import finding_sentence, group_name

        from .audits.runner import KEY_METRICS

        findings = [d for d in result["disparities"] if d["verdict"] == "disparity" and d["family"] != "intersection"
                    and d["metric"] in KEY_METRICS]
        fairness_results.append({
            "file": record.evidence.filename, "sha256": record.evidence.sha256, "rows": result["rows"],
            "findings": [finding_sentence(d, result["parameters"]["confidence"]) for d in findings[:10]],
            "groups": [{**g, "name": group_name(g["group"])} for g in result["groups"]],
        })
    return fairness_results, explanations
