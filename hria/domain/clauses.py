"""Contract clauses for a tender, chosen by the risk register and remediation plan of a procurement-stage
assessment.

The clauses, their rule of inclusion and their English and Chinese text are data
(``questionnaires/clauses.yaml``; the rule is explained at its head). This module reads and checks that file,
decides which clauses an assessment calls for, fills their placeholders (buyer, supplier, system, oversight
body, the fairness thresholds of the buyer's audit plan, deadlines) and hands the result to
``reports.clauses`` as plain data, for the PDF and the DOCX.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

import fairness
from fairness.plans import AuditPlan as Plan
from hria.domain import questions, risk_register, scoring
from hria.domain.models import (
    Assessment,
    AuditPlan,
    FairnessAudit,
    Finding,
    OversightAssignment,
    RemediationAction,
    utcnow,
)
from hria.domain.vocabulary import LIFECYCLE_STAGES, OrganisationKind
from hria.extensions import db
from reports.clauses import ClauseDocument, ClauseEntry, build_clauses_docx, build_clauses_pdf

CLAUSES_FILE = Path(questions.__file__).resolve().parents[2] / "questionnaires" / "clauses.yaml"
PROCUREMENT = "procurement"
FORMATS = ("pdf", "docx", "json")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "json": "application/json",
}
LANGS = ("en", "zh")
TRIGGERS = {"always", "rights", "min_level", "questions", "findings", "min_impact_level"}
FINDING_SOURCES = {"fairness_audit", "fairness_change", "explanation", "grievance"}
ASSESSMENT_PLACEHOLDERS = {"buyer", "supplier", "system", "purpose", "oversight"}
FAIRNESS_PLACEHOLDERS = {
    "attributes",
    "metrics",
    "references",
    "min_group_size",
    "ratio_threshold",
    "ratio_ceiling",
    "difference_points",
    "confidence_pct",
    "comparisons",
    "threshold_source",
}


class ClauseError(ValueError):
    """Clauses that cannot be made for this assessment; the message says why and what to do."""


class ClauseBankError(ValueError):
    """A clause file with problems; ``problems`` lists each one."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s) in the clause file:\n" + "\n".join(problems))
        self.problems = problems


@lru_cache(maxsize=4)
def load(path: str | None = None) -> dict[str, Any]:
    """The clause file, checked; raises ClauseBankError listing every problem."""
    data = yaml.safe_load(Path(path or CLAUSES_FILE).read_text(encoding="utf-8"))
    problems = check(data)
    if problems:
        raise ClauseBankError(problems)
    return data


def check(data: Any) -> list[str]:
    """What is wrong with a clause file: unknown sections, triggers or placeholders, missing translations."""
    if not isinstance(data, dict) or not isinstance(data.get("clauses"), list):
        return ["The file must be a mapping with a list of clauses."]
    terms = set(data.get("terms", {}))
    known = ASSESSMENT_PLACEHOLDERS | FAIRNESS_PLACEHOLDERS | terms
    sections = {s["key"] for s in data.get("sections", [])}
    problems: list[str] = []
    for lang in LANGS:
        for name in ("title", "rule"):
            if not data.get(name, {}).get(lang):
                problems.append(f"{name}: no {lang} text.")
    seen: set[str] = set()
    for number, clause in enumerate(data["clauses"], 1):
        key = clause.get("key", f"#{number}")
        if key in seen:
            problems.append(f"{key}: the key is used twice.")
        seen.add(key)
        problems += _clause_problems(key, clause, sections, known)
    return problems


def _clause_problems(key: str, clause: dict, sections: set[str], known: set[str]) -> list[str]:
    problems = []
    if clause.get("section") not in sections:
        problems.append(f"{key}: section {clause.get('section')!r} is not among the sections.")
    include = clause.get("include") or {}
    if set(include) - TRIGGERS or not include:
        problems.append(f"{key}: include must use some of {', '.join(sorted(TRIGGERS))}.")
    if set(include.get("findings", [])) - FINDING_SOURCES:
        problems.append(f"{key}: findings must be of {', '.join(sorted(FINDING_SOURCES))}.")
    if ("min_level" in include or "findings" in include) and not include.get("rights"):
        problems.append(f"{key}: min_level and findings need the rights they apply to.")
    for lang in LANGS:
        for part in ("title", "text"):
            if not (clause.get(part) or {}).get(lang):
                problems.append(f"{key}: missing translation: {part} has no {lang} text.")
        names = {name for _, name, _, _ in string.Formatter().parse(clause["text"].get(lang, "")) if name}
        if names - known:
            problems.append(f"{key} ({lang}): unknown placeholder(s) {', '.join(sorted(names - known))}.")
    return problems


@dataclass(frozen=True)
class Thresholds:
    """The fairness thresholds the buyer set for the system, and where they come from."""

    plan: Plan
    source: str  # "plan" (a fixed audit plan), "audit" (the settings of its latest audit) or "defaults"
    title: str = ""
    sha256: str = ""


def thresholds(assessment: Assessment) -> Thresholds:
    """The buyer's thresholds: its audit plan for this assessment, else the latest plan for the same system,
    else the settings of the system's latest finished audit, else the fairness library's defaults."""
    plans = db.session.scalars(
        select(AuditPlan)
        .join(Assessment, Assessment.id == AuditPlan.assessment_id)
        .where(Assessment.system_id == assessment.system_id)
        .order_by((AuditPlan.assessment_id == assessment.id).desc(), AuditPlan.id.desc())
    ).all()
    for record in plans:
        try:
            return Thresholds(Plan.from_json(record.content), "plan", record.title, record.sha256)
        except (fairness.InputError, TypeError, ValueError):
            continue  # a plan that no longer reads is not the buyer's word on thresholds
    audit = db.session.scalars(
        select(FairnessAudit)
        .join(Assessment, Assessment.id == FairnessAudit.assessment_id)
        .where(
            Assessment.system_id == assessment.system_id,
            FairnessAudit.kind == "audit",
            FairnessAudit.status == "done",
        )
        .order_by(FairnessAudit.id.desc())
    ).first()
    if audit is not None:
        plan = _plan_of_audit(audit)
        if plan is not None:
            return Thresholds(plan, "audit", f"{audit.id}")
    return Thresholds(Plan(sensitive_features=["—"], metrics=list(_DEFAULT_METRICS)), "defaults")


_DEFAULT_METRICS = ("selection_rate", "false_positive_rate", "false_negative_rate")


def _plan_of_audit(audit: FairnessAudit) -> Plan | None:
    """The thresholds an audit was run with, as a plan."""
    try:
        result = json.loads(audit.result or "{}")
        parameters = result["parameters"]
        return Plan(
            sensitive_features=list(result["columns"]["sensitive_features"]),
            metrics=sorted({d["metric"] for d in result["disparities"]}) or list(_DEFAULT_METRICS),
            reference={
                family: refs.get(family, "")
                for family, refs in parameters.get("references", {}).items()
                if isinstance(refs, dict) and refs.get(family)
            },
            difference_threshold=parameters["difference_threshold"],
            ratio_threshold=parameters["ratio_threshold"],
            min_group_size=parameters["min_group_size"],
            confidence=parameters["confidence"],
            multiple_comparisons=parameters["multiple_comparisons"],
        )
    except (KeyError, TypeError, ValueError, fairness.InputError):
        return None


def _fairness_values(found: Thresholds, labels: dict, lang: str) -> dict[str, str]:
    plan = found.plan
    joiner = labels["and"][lang] if lang == "zh" else ", "
    if found.source == "plan":
        source = f"{labels['plan'][lang]} “{found.title}”, SHA-256 {found.sha256[:16]}…"
    elif found.source == "audit":
        source = f"{labels['audit'][lang]} {found.title}"
    else:
        source = labels["defaults"][lang]
    attributes = [a for a in plan.sensitive_features if a != "—"]
    return {
        "attributes": joiner.join(attributes) if attributes else "—",
        "metrics": joiner.join(fairness.METRIC_LABELS.get(m, m) for m in plan.metrics),
        "references": joiner.join(f"{k}: {v}" for k, v in plan.reference.items())
        or labels["largest_group"][lang],
        "min_group_size": f"{plan.min_group_size:,}",
        "ratio_threshold": f"{plan.ratio_threshold:.2f}",
        "ratio_ceiling": f"{1 / plan.ratio_threshold:.2f}",
        "difference_points": f"{plan.difference_threshold * 100:g}",
        "confidence_pct": f"{plan.confidence * 100:g}",
        "comparisons": labels[f"comparisons_{plan.multiple_comparisons}"][lang],
        "threshold_source": source,
    }


@dataclass
class Context:
    """What the rule of inclusion reads from the assessment."""

    bank: dict
    rows: list[risk_register.RegisterRow]
    flagged: dict[str, str]  # question id -> why it is flagged ("risk present" / "safeguard missing")
    actions: list[RemediationAction]
    findings: list[Finding]
    impact_level: str | None
    lang: str
    labels: dict
    question_rights: dict[str, list[str]] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)  # right -> its R-number in the register


def _context(assessment: Assessment, lang: str, labels: dict) -> Context:
    bank = questions.bank_for(assessment)
    stage = questions.stage_questions(bank, assessment)
    answers = questions.answers_of(assessment)
    flagged: dict[str, str] = {}
    for question in scoring.visible_questions(stage, answers):
        answer = answers.get(question["id"])
        if answer in (None, "", scoring.NOT_APPLICABLE):
            continue
        if question["kind"] == "risk" and scoring.points(question, answer) > 0:
            flagged[question["id"]] = "risk"
        elif scoring.missing_safeguard(question, answer):
            flagged[question["id"]] = "safeguard"
    rows = risk_register.register(assessment)
    actions = list(
        db.session.scalars(
            select(RemediationAction)
            .where(
                RemediationAction.assessment_id == assessment.id,
                RemediationAction.status.in_(risk_register.OPEN_STATUSES),
            )
            .order_by(RemediationAction.id)
        )
    )
    findings = list(
        db.session.scalars(select(Finding).where(Finding.assessment_id == assessment.id).order_by(Finding.id))
    )
    return Context(
        bank=bank,
        rows=rows,
        flagged=flagged,
        actions=actions,
        findings=findings,
        impact_level=risk_register.system_level(assessment),
        lang=lang,
        labels=labels,
        question_rights={q["id"]: q["rights"] for q in stage["questions"]},
        numbers={row.right: n for n, row in enumerate(rows, 1)},
    )


@dataclass
class Match:
    """Why a clause is in the contract: the register entries, actions, findings and questions behind it."""

    rows: list[risk_register.RegisterRow] = field(default_factory=list)
    actions: list[RemediationAction] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    impact_level: str | None = None

    def __bool__(self) -> bool:
        return bool(self.rows or self.actions or self.findings or self.questions or self.impact_level)


def _at_least(order: list[str], level: str | None, floor: str) -> bool:
    """A rated level at the floor or graver (an unrated right calls for a clause through its questions)."""
    return level in order and order.index(level) >= order.index(floor)


def match(include: dict, ctx: Context) -> Match:
    """What in the register and the plan calls for a clause with this ``include`` rule (empty: nothing)."""
    found = Match()
    rights = set(include.get("rights", []))
    order = [row["level"] for row in ctx.bank["risk_matrix"]["levels"]]
    if "min_level" in include:
        found.rows = [
            row
            for row in ctx.rows
            if row.right in rights and _at_least(order, row.level, include["min_level"])
        ]
    wanted_questions = set(include.get("questions", []))
    found.questions = [q for q in ctx.flagged if q in wanted_questions]
    sources = set(include.get("findings", []))
    found.findings = [f for f in ctx.findings if f.source in sources and f.right in rights]
    finding_ids = {f.id for f in found.findings}
    found.actions = [
        a for a in ctx.actions if a.question_id in wanted_questions or (a.finding_id or 0) in finding_ids
    ]
    floor = include.get("min_impact_level")
    levels = [row["level"] for row in ctx.bank["scoring"]["levels"]]
    if floor and ctx.impact_level in levels and levels.index(ctx.impact_level) >= levels.index(floor):
        found.impact_level = ctx.impact_level
    return found


def _cited_rows(found: Match, ctx: Context, include: dict) -> list[risk_register.RegisterRow]:
    """The register entries a clause answers: those rated at its level, and those its flagged questions and
    findings bear on (of the rights the clause names, when it names any)."""
    rights = {row.right for row in found.rows} | {f.right for f in found.findings}
    named = set(include.get("rights", []))
    for question_id in found.questions:
        bears_on = set(ctx.question_rights.get(question_id, []))
        rights |= bears_on & named if named else bears_on
    return [row for row in ctx.rows if row.right in rights]


def _level_label(ctx: Context, level: str | None) -> str:
    if level is None:
        return str(ctx.labels["not_rated"][ctx.lang])
    for row in ctx.bank["risk_matrix"]["levels"]:
        if row["level"] == level:
            return questions.text(row, ctx.lang)
    return level


def _answers(found: Match, rows: list[risk_register.RegisterRow], ctx: Context) -> list[str]:
    """What the clause answers, each with its reference: risk R-n, finding F-id, action A-id, question."""
    lang, labels = ctx.lang, ctx.labels
    out = []
    for row in rows:
        label = questions.term(ctx.bank, "rights", row.right, lang)
        out.append(
            f"{labels['risk'][lang]} R-{ctx.numbers[row.right]}: {label} ({_level_label(ctx, row.level)})"
        )
    for finding in found.findings:
        out.append(f"{labels['finding'][lang]} F-{finding.id}: {_short(finding.text)}")
    for action in found.actions:
        out.append(f"{labels['action'][lang]} A-{action.id}: {_short(action.text)}")
    covered = {a.question_id for a in found.actions}
    for question_id in found.questions:
        if question_id not in covered:
            out.append(f"{labels['question'][lang]} {question_id}")
    if found.impact_level:
        out.append(f"{labels['impact_level'][lang]} {found.impact_level}")
    return out


SHORT = 140


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHORT else text[: SHORT - 1].rstrip() + "…"


def _mitigation(found: Match, ctx: Context) -> list[str]:
    """The treatment of each rated risk and each action, with its due date: what the supplier takes on."""
    lang, labels = ctx.lang, ctx.labels
    lines = []
    for row in found.rows:
        if row.rating is not None and row.rating.treatment.strip():
            lines.append(
                f"{row.rating.treatment.strip()} ({labels['treatment'][lang]}, R-{ctx.numbers[row.right]})"
            )
    for action in found.actions:
        due = f", {labels['due'][lang]} {action.due_date.isoformat()}" if action.due_date else ""
        lines.append(f"{action.text.strip()} (A-{action.id}{due})")
    return lines


def _assessment_values(assessment: Assessment, labels: dict, lang: str) -> dict[str, str]:
    system = assessment.system
    owner = system.owner
    buyer = owner.name if owner.kind == OrganisationKind.BUYER else labels["buyer"][lang]
    supplier = system.vendor.name if system.vendor is not None else labels["no_supplier"][lang]
    oversight = [
        a.oversight.name
        for a in db.session.scalars(
            select(OversightAssignment).where(OversightAssignment.overseen_id == owner.id)
        )
    ]
    return {
        "buyer": buyer,
        "supplier": supplier,
        "system": system.name,
        "purpose": " ".join(system.purpose.split()).rstrip(".") or labels["no_purpose"][lang],
        "oversight": labels["and"][lang].join(oversight) if oversight else labels["no_oversight"][lang],
    }


# Folding a YAML paragraph puts a space at each line break; Chinese text has none beside its characters.
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef“”])\s+|\s+(?=[\u3000-\u9fff\uff00-\uffef“”])")


def _joined(text: str, lang: str) -> str:
    return _CJK_SPACE.sub("", text) if lang == "zh" else text


def require_procurement(assessment: Assessment) -> None:
    if assessment.stage != PROCUREMENT:
        stage = LIFECYCLE_STAGES.label(assessment.stage)
        raise ClauseError(
            f"Contract clauses come from a procurement-stage assessment; assessment {assessment.id} is at "
            f"the {stage} stage. Open the system's procurement assessment, or start one, to make its clauses."
        )


def document(assessment: Assessment, lang: str | None = None, path: str | None = None) -> ClauseDocument:
    """The clauses the assessment calls for, filled in, as plain data for ``reports.clauses``.

    Raises ClauseError for an assessment that is not at the procurement stage.
    """
    require_procurement(assessment)
    lang = lang if lang in LANGS else assessment.language if assessment.language in LANGS else "en"
    data = load(path)
    labels = data["labels"]
    ctx = _context(assessment, lang, labels)
    values = {
        **{k: str(v) for k, v in data["terms"].items()},
        **_assessment_values(assessment, labels, lang),
        **_fairness_values(thresholds(assessment), labels, lang),
    }
    sections = {s["key"]: s[lang] for s in data["sections"]}
    entries: list[ClauseEntry] = []
    omitted: list[str] = []
    for clause in data["clauses"]:
        include = clause["include"]
        found = match(include, ctx)
        baseline = bool(include.get("always"))
        if not baseline and not found:
            omitted.append(clause["title"][lang])
            continue
        answers = _answers(found, _cited_rows(found, ctx, include), ctx)
        entries.append(
            {
                "number": len(entries) + 1,
                "key": clause["key"],
                "section": sections[clause["section"]],
                "title": clause["title"][lang],
                "text": _joined(clause["text"][lang], lang).format_map(values),
                "mitigation": _mitigation(found, ctx),
                "answers": ([labels["baseline"][lang]] if baseline else []) + answers,
                "baseline": baseline,
            }
        )
    system = assessment.system
    return {
        "lang": lang,
        "title": data["title"][lang],
        "version": str(data["version"]),
        "buyer": values["buyer"],
        "supplier": values["supplier"],
        "system": system.name,
        "assessment": f"{assessment.id} ({LIFECYCLE_STAGES.label(assessment.stage, lang)})",
        "generated_at": utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        "rule": _joined(" ".join(data["rule"][lang].split()), lang),
        "clauses": entries,
        "omitted": omitted,
        "labels": {key: str(value[lang]) for key, value in labels.items()},
    }


def render(data: ClauseDocument, fmt: str, cjk_font: str | None = None) -> bytes:
    """The document in one of FORMATS. Raises FontNotFound when Chinese text has no font to embed."""
    if fmt == "pdf":
        return build_clauses_pdf(data, cjk_font=cjk_font)
    if fmt == "docx":
        return build_clauses_docx(data)
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
