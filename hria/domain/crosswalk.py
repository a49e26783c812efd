"""Which elements of the frameworks a public body answers to (EU AI Act Art. 27, HUDERIA, ISO/IEC 42005,
IAMA) an assessment's answers cover, and which are still open.

The crosswalk is data: ``questionnaires/frameworks/*.yaml`` defines the frameworks and each question of the
bank lists the elements its answer supplies. A question covers its elements only when it is shown and
answered; "not applicable", however well justified, supplies nothing to an element and so covers nothing.

The references of a bank version are read from that version's files, not from the assessment's snapshot of
the bank, so that assessments pinned before a question gained its references are covered the same way as
new ones. A version without references (2026.1) covers nothing: every element shows as open.

Coverage is per assessment and, because the Art. 27 assessment is made per use of a system, across the
system's assessments (one per lifecycle stage) as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import questionnaires
from hria.domain import questions, scoring
from hria.domain.models import Assessment
from reports.content import Coverage, FrameworkCoverage


@dataclass(frozen=True)
class Covering:
    """An answered question that supplies content to framework elements."""

    question: str
    assessment_id: int
    references: tuple[str, ...]


@dataclass
class Element:
    """One element of a framework and the answered questions that cover it (none: it is open)."""

    key: str
    ref: str
    label: str
    covered_by: list[str] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return bool(self.covered_by)


@dataclass
class Framework:
    key: str
    name: str
    elements: list[Element]

    @property
    def covered(self) -> int:
        return sum(1 for e in self.elements if e.covered)

    @property
    def open(self) -> list[Element]:
        return [e for e in self.elements if not e.covered]


@lru_cache(maxsize=1)
def frameworks() -> dict[str, dict]:
    return questionnaires.load_frameworks()


@lru_cache(maxsize=8)
def references(version: str) -> dict[str, tuple[str, ...]]:
    """Question id -> the framework elements it supplies, in the bank version of that name."""
    try:
        bank = questionnaires.load_version(version)
    except KeyError:
        return {}
    return {qid: tuple(q.get("frameworks", [])) for qid, q in questionnaires.question_index(bank).items()}


def covers(value) -> bool:
    """An answer covers its elements when it is given and is not "not applicable"."""
    return scoring.is_answered(value) and value != scoring.NOT_APPLICABLE


def coverings(assessment: Assessment, answerers: Iterable[str] | None = None) -> list[Covering]:
    """The assessment's answered questions that supply framework elements, in the bank's order; only the
    questions of ``answerers`` (every party's by default) count, so a reader sees only what it may read."""
    bank = questions.bank_for(assessment)
    stage = questions.stage_questions(bank, assessment)
    answers = questions.answers_of(assessment)
    refs = references(bank["version"])
    allowed = set(answerers) if answerers is not None else None
    return [
        Covering(q["id"], assessment.id, refs[q["id"]])
        for q in scoring.visible_questions(stage, answers)
        if refs.get(q["id"])
        and covers(answers.get(q["id"]))
        and (allowed is None or q["answered_by"] in allowed)
    ]


def coverage(found: Iterable[Covering], lang: str = "en") -> list[Framework]:
    """Per framework and element, the questions that cover it (each id once, in the order found)."""
    found = list(found)
    result = []
    for key, definition in frameworks().items():
        elements = []
        for element in definition["elements"]:
            reference = f"{key}:{element['key']}"
            ids = [c.question for c in found if reference in c.references]
            elements.append(
                Element(
                    key=element["key"],
                    ref=element["ref"],
                    label=questions.text(element, lang),
                    covered_by=list(dict.fromkeys(ids)),
                )
            )
        result.append(Framework(key=key, name=questions.text(definition, lang), elements=elements))
    return result


def of_assessment(
    assessment: Assessment, lang: str = "en", answerers: Iterable[str] | None = None
) -> list[Framework]:
    return coverage(coverings(assessment, answerers), lang)


def of_assessments(assessments: Iterable[Assessment], lang: str = "en") -> list[Framework]:
    """Coverage across several assessments (a system's, one per stage): an element is covered when any of
    them answers a question that supplies it."""
    return coverage([c for a in assessments for c in coverings(a)], lang)


def describe(result: list[Framework]) -> list[str]:
    """Each element in a line: "Art. 27(1)(c) categories of …: covered by SCO-06, SCO-07" or ": open"."""
    return [
        f"{e.ref} {e.label}: " + (f"covered by {', '.join(e.covered_by)}" if e.covered else "open")
        for f in result
        for e in f.elements
    ]


def as_report_rows(result: list[Framework]) -> list[FrameworkCoverage]:
    """Plain data for the report's coverage annex (``reports.content.FrameworkCoverage``)."""
    return [
        {
            "name": f.name,
            "covered": f.covered,
            "elements": [
                {"ref": e.ref, "label": e.label, "covered_by": list(e.covered_by)} for e in f.elements
            ],
        }
        for f in result
    ]


def system_assessments(assessment: Assessment) -> list[Assessment]:
    """The assessments of the assessment's system, oldest first."""
    from hria.extensions import db

    return (
        db.session.query(Assessment).filter_by(system_id=assessment.system_id).order_by(Assessment.id).all()
    )


def _named(assessments: Iterable[Assessment], lang: str) -> list[str]:
    from hria.domain.vocabulary import LIFECYCLE_STAGES

    return [f"#{a.id} {LIFECYCLE_STAGES.label(a.stage, lang)}" for a in assessments]


def for_report(assessment: Assessment, lang: str) -> Coverage:
    """The report's coverage annex: this assessment's, and that of every assessment of its system."""
    others = system_assessments(assessment)
    return {
        "assessment": as_report_rows(of_assessment(assessment, lang)),
        "system": as_report_rows(of_assessments(others, lang)),
        "assessments": _named(others, lang),
    }


def for_reader(user, assessment: Assessment, lang: str = "en") -> dict:
    """What the assessment page shows a reader: the coverage of the parts of this assessment the reader may
    read and, for those who read the buyer's side, across the system's assessments they may see (an
    invited vendor reads only its part of this one assessment)."""
    from hria.domain import access
    from hria.extensions import db

    own = of_assessment(assessment, lang, access.answerers_readable(user, assessment))
    if not access.reads_buyer_side(user, assessment):
        return {"assessment": own, "system": None, "assessments": []}
    visible = db.session.scalars(
        access.visible_assessments(user)
        .where(Assessment.system_id == assessment.system_id)
        .order_by(Assessment.id)
    ).all()
    return {"assessment": own, "system": of_assessments(visible, lang), "assessments": _named(visible, lang)}
