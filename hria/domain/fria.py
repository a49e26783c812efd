"""The notification a deployer sends the market surveillance authority under Art. 27(3) of the EU AI Act:
the results of its fundamental-rights impact assessment, Art. 27(1)(a)–(f), filled from HRIA's answers.

Nothing is invented. Each element of Art. 27(1) lists the answers to the questions the crosswalk maps to it
(``questionnaires/frameworks/eu_ai_act_art27.yaml`` and each question's ``frameworks``), each with the
assessment and question it comes from; an element no answer supplies is marked missing. The assessment
asked for comes first; because the Art. 27 assessment is made per use of a system, the system's other
assessments (its other lifecycle stages) supply what this one does not ask. A "not applicable" supplies
nothing.

The document is ``reports.fria.FriaContent``: exported as JSON with a ``schema_version``, or laid out as a
PDF and signed with the deployer's key, as reports are.
"""

from __future__ import annotations

from flask import current_app

from hria.domain import crosswalk, questions, scoring, signing_keys
from hria.domain.models import Assessment, User, utcnow
from hria.domain.reporting import ReportError, verify_url
from hria.domain.vocabulary import ASSESSMENT_STATUSES, LIFECYCLE_STAGES, SECTORS
from hria.extensions import db
from reports import SignatureAppearance, sign_pdf
from reports.fonts import FontNotFound
from reports.fria import SCHEMA_VERSION, FriaAnswer, FriaAssessment, FriaContent, FriaElement, build_fria
from reports.labels import LABELS

ART27 = "eu_ai_act_art27"
DOCUMENT = "Notification of the results of a fundamental-rights impact assessment (EU AI Act Art. 27(3))"
LEGAL_BASIS = "Regulation (EU) 2024/1689, Article 27(1)(a)-(f) and 27(3)"


def sources(assessment: Assessment) -> list[Assessment]:
    """The assessments the notification draws on: the one asked for, then the system's others, newest
    first (so that of two assessments of one stage, the later answer is taken)."""
    others = (
        db.session.query(Assessment)
        .filter(Assessment.system_id == assessment.system_id, Assessment.id != assessment.id)
        .order_by(Assessment.id.desc())
        .all()
    )
    return [assessment, *others]


def _described(assessment: Assessment, lang: str) -> FriaAssessment:
    return {
        "id": assessment.id,
        "stage": LIFECYCLE_STAGES.label(assessment.stage, lang),
        "status": ASSESSMENT_STATUSES.label(assessment.status, lang),
        "bank_version": questions.bank_for(assessment)["version"],
    }


def _answers(assessments: list[Assessment], lang: str) -> dict[str, list[FriaAnswer]]:
    """Element key -> the answers that supply it, each question once (from the first assessment that
    answers it)."""
    found: dict[str, list[FriaAnswer]] = {}
    seen: set[str] = set()
    for assessment in assessments:
        bank = questions.bank_for(assessment)
        stage = questions.stage_questions(bank, assessment)
        given = questions.answers_of(assessment)
        refs = crosswalk.references(bank["version"])
        for q in scoring.visible_questions(stage, given):
            mine = [r.partition(":")[2] for r in refs.get(q["id"], ()) if r.partition(":")[0] == ART27]
            if not mine or q["id"] in seen or not crosswalk.covers(given.get(q["id"])):
                continue
            seen.add(q["id"])
            answer: FriaAnswer = {
                "assessment": assessment.id,
                "question": q["id"],
                "question_text": questions.text(q["text"], lang),
                "answer": questions.describe_answer(bank, q, given[q["id"]], lang),
            }
            for element in mine:
                found.setdefault(element, []).append(answer)
    return found


def notification(assessment: Assessment, lang: str | None = None) -> FriaContent:
    """The notification's content, in the assessment's language unless told."""
    lang = lang or assessment.language
    system = assessment.system
    drawn_on = sources(assessment)
    answers = _answers(drawn_on, lang)
    definition = crosswalk.frameworks()[ART27]
    elements: list[FriaElement] = [
        {
            "key": f"art27_1{element['key']}",
            "ref": element["ref"],
            "label": questions.text(element, lang),
            "status": "answered" if answers.get(element["key"]) else "missing",
            "answers": answers.get(element["key"], []),
        }
        for element in definition["elements"]
    ]
    missing = ([] if system.vendor else ["provider"]) + [
        e["key"] for e in elements if e["status"] == "missing"
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "document": DOCUMENT,
        "legal_basis": LEGAL_BASIS,
        "lang": lang,
        "generated_at": utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        "notification_id": f"FRIA-{system.id}-{assessment.id}",
        "deployer": {"name": system.owner.name},
        "provider": {"name": system.vendor.name} if system.vendor else None,
        "system": {
            "name": system.name,
            "sector": SECTORS.label(system.sector, lang),
            "purpose": system.purpose or "",
        },
        "assessment": _described(assessment, lang),
        "sources": [_described(a, lang) for a in drawn_on],
        "elements": elements,
        "missing": missing,
    }


def signed_pdf(assessment: Assessment, user: User | None, lang: str | None = None) -> bytes:
    """The notification as a PDF signed (PAdES) with the deployer's key; ``ReportError`` says why not."""
    data = notification(assessment, lang)
    deployer = assessment.system.owner
    try:
        unsigned = build_fria(data, cjk_font=current_app.config.get("CJK_FONT"))
    except FontNotFound as error:
        raise ReportError(str(error)) from None
    appearance = SignatureAppearance(
        name=user.name if user is not None and user.name else deployer.name,
        role=LABELS[data["lang"]]["deployer"],
        organisation=deployer.name,
        verify_url=verify_url(),
        lang=data["lang"],
        cjk_font=current_app.config.get("CJK_FONT"),
    )
    return sign_pdf(
        unsigned,
        signing_keys.signer_for(deployer),
        name=deployer.name,
        reason="Art. 27(3) notification",
        timestamp_url=current_app.config.get("TIMESTAMP_URL"),
        appearance=appearance,
    )
