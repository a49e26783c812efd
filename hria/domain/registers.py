"""Exports of a system to the public algorithm registers cities answer to.

Four formats, each with HRIA's own JSON Schema of the published standard in ``register_schemas/``
(sources and licences in its README): the EU database for high-risk AI systems (a deployer's registration,
AI Act Art. 49(3) and Annex VIII Section C), the UK Algorithmic Transparency Recording Standard, the Dutch
Algoritmeregister and the Eurocities Algorithmic Transparency Standard.

An export fills a field only from a fact HRIA holds (the system, the answers to its assessments, the risk
register, the fairness audits, the signed report) and says where each value came from. Every field it cannot
fill is listed as missing with the reason, never guessed: a register entry is a public statement of the city.
A fact longer than the standard allows is listed as missing too, to be shortened by a person, not cut.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from sqlalchemy import select

from hria.domain import access, publication, questions, risk_register, screening
from hria.domain.fairness_audits import KEY_METRICS
from hria.domain.fairness_results import adjusted_verdict, finding_sentence
from hria.domain.models import Assessment, FairnessAudit, Report, System, User, utcnow
from hria.domain.vocabulary import ASSESSMENT_STATUSES, LIFECYCLE_STAGES, SECTORS
from hria.extensions import db

FORMATS = ("eu-database", "atrs", "nl-algoritmeregister", "eurocities")
FORMAT_LABELS = {
    "eu-database": "EU database for high-risk AI systems (AI Act Annex VIII, Section C)",
    "atrs": "UK Algorithmic Transparency Recording Standard",
    "nl-algoritmeregister": "Dutch Algoritmeregister",
    "eurocities": "Eurocities Algorithmic Transparency Standard",
}
SCHEMA_DIR = Path(__file__).with_name("register_schemas")
NOT_HELD = "HRIA does not record this; fill it in before submitting."

# Builds an absolute address of a public page (Flask's url_for with _external=True), or None outside a site.
Links = Callable[..., str] | None


class RegisterError(ValueError):
    """An export that cannot be made; the message says why and what to do."""


@cache
def schema(fmt: str) -> dict:
    if fmt not in FORMATS:
        raise RegisterError(f"There is no register format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    return json.loads((SCHEMA_DIR / f"{fmt}.schema.json").read_text(encoding="utf-8"))


def required_fields(fmt: str) -> list[str]:
    """The fields the standard requires, nested ones as ``outer.inner``."""
    rule = schema(fmt)["$defs"]["required"]
    nested = [
        f"{outer}.{inner}" for outer, sub in rule.get("properties", {}).items() for inner in sub["required"]
    ]
    return list(rule["required"]) + nested


def _all_fields(fmt: str) -> list[str]:
    names = []
    for name, spec in schema(fmt)["$defs"]["fields"]["properties"].items():
        inner = spec.get("properties") if spec.get("type") == "object" else None
        names += [f"{name}.{sub}" for sub in inner] if inner else [name]
    return names


def _validator(definition: dict) -> Draft202012Validator:
    return Draft202012Validator(definition, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate(document: dict, fmt: str) -> list[str]:
    """What is wrong with an export document, one line a problem, in words a person can act on."""
    return [_explain(error) for error in sorted(_validator(schema(fmt)).iter_errors(document), key=_where)]


def complete(document: dict, fmt: str) -> bool:
    """Whether the record has every field the register requires, so it can be submitted as it is."""
    strict = {"$defs": schema(fmt)["$defs"], "$ref": "#/$defs/record_for_submission"}
    return _validator(strict).is_valid(document.get("record", {}))


def _where(error) -> str:
    return ".".join(str(p) for p in error.absolute_path)


def _explain(error) -> str:
    if error.validator == "anyOf" and not error.absolute_path:
        # one of the rules "a required field is filled or listed as missing"
        listed = error.schema["anyOf"][1]["properties"]["missing"]["contains"]["properties"]["field"]["const"]
        return f"{listed}: the standard requires it, but it is neither filled nor listed as missing."
    return f"{_where(error) or '(document)'}: {error.message}"


@dataclass
class Answered:
    question_id: str
    value: object
    line: str
    assessment: Assessment


@dataclass
class Facts:
    """What HRIA holds about a system, as far as the reader may read it."""

    system: System
    assessments: list[Assessment]
    language: str
    answers: dict[str, Answered]
    buyer_side: list[Assessment]
    report: Report | None
    links: Links

    def public_link(self, endpoint: str, **values) -> str | None:
        if self.links is None or self.system.published_at is None:
            return None
        return self.links(endpoint, system_id=self.system.id, **values)


def gather(system: System, links: Links = None, reader: User | None = None) -> Facts:
    """The facts of a system; with a reader, only what that user may read (no reader: the command line)."""
    query = (select(Assessment) if reader is None else access.visible_assessments(reader)).where(
        Assessment.system_id == system.id
    )
    assessments = list(db.session.scalars(query.order_by(Assessment.created_at, Assessment.id)))
    buyer_side = [a for a in assessments if reader is None or access.reads_buyer_side(reader, a)]
    language = assessments[-1].language if assessments else "en"
    report = publication.current_report(system)
    if report is not None and report.assessment not in buyer_side:
        report = None
    return Facts(
        system, assessments, language, _answers(assessments, language, reader), buyer_side, report, links
    )


def _answers(assessments: list[Assessment], language: str, reader: User | None) -> dict[str, Answered]:
    """The latest answer to each question across the lifecycle, with its question text."""
    found: dict[str, Answered] = {}
    for assessment in assessments:
        bank = questions.bank_for(assessment)
        asked = {q["id"]: q for q in questions.stage_questions(bank, assessment)["questions"]}
        for question_id, value in questions.answers_of(assessment).items():
            question = asked.get(question_id)
            if question is None or value in (None, "", []):
                continue
            if reader is not None and not access.question_readable(reader, assessment, question_id):
                continue
            said = questions.describe_answer(bank, question, value, language)
            line = f"{questions.text(question['text'], language)} — {said} ({question_id})"
            found[question_id] = Answered(question_id, value, line, assessment)
    return found


@dataclass
class Draft:
    """A record being filled, what it lacks and where each value came from."""

    fmt: str
    record: dict = field(default_factory=dict)
    missing: list[dict] = field(default_factory=list)
    provenance: dict[str, list[str]] = field(default_factory=dict)

    def limit(self, name: str) -> int | None:
        spec = schema(self.fmt)["$defs"]["fields"]["properties"]
        outer, _, inner = name.partition(".")
        spec = spec[outer]["properties"][inner] if inner else spec[outer]
        return spec.get("maxLength")

    def put(self, name: str, value, sources: Iterable[str], absent: str = NOT_HELD) -> None:
        """Fill a field from facts; nothing (or too long a text) lists it as missing instead."""
        if value in (None, "", [], {}):
            self.lack(name, absent)
            return
        limit = self.limit(name)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            self.lack(
                name,
                f"What HRIA holds is {len(value)} characters; the standard allows {limit}: "
                "write a shorter text for the register.",
            )
            return
        outer, _, inner = name.partition(".")
        if inner:
            self.record.setdefault(outer, {})[inner] = value
        else:
            self.record[name] = value
        self.provenance[name] = list(sources)

    def lines(self, name: str, facts: Facts, question_ids: Iterable[str]) -> None:
        """A text field made of the answers to some questions, each line naming its question."""
        answered = [facts.answers[q] for q in question_ids if q in facts.answers]
        text = "\n".join(a.line for a in answered)
        self.put(
            name,
            text,
            [f"answer {a.question_id} ({a.assessment.stage} assessment {a.assessment.id})" for a in answered],
        )

    def lack(self, name: str, reason: str = NOT_HELD) -> None:
        self.missing.append({"field": name, "required": name in required_fields(self.fmt), "reason": reason})

    def finish(self, system: System) -> dict:
        listed = {m["field"] for m in self.missing}
        filled = {f"{k}.{s}" for k, v in self.record.items() if isinstance(v, dict) for s in v} | set(
            self.record
        )
        for name in _all_fields(self.fmt):
            if name not in filled and name not in listed:
                self.lack(name)
        document = {
            "format": self.fmt,
            "standard_version": schema(self.fmt)["properties"]["standard_version"]["const"],
            "system_id": system.id,
            "generated_at": utcnow().replace(microsecond=0).isoformat() + "Z",
            "record": self.record,
            "missing": self.missing,
            "provenance": self.provenance,
        }
        document["complete"] = complete(document, self.fmt)
        return document


@dataclass
class Export:
    fmt: str
    document: dict
    errors: list[str]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def missing(self) -> list[dict]:
        return self.document["missing"]

    def json(self) -> str:
        return json.dumps(self.document, indent=2, ensure_ascii=False) + "\n"


def export(system: System, fmt: str, links: Links = None, reader: User | None = None) -> Export:
    """The system's entry in a register's format, validated against HRIA's schema of that standard."""
    schema(fmt)
    facts = gather(system, links, reader)
    draft = Draft(fmt)
    BUILDERS[fmt](draft, facts)
    document = draft.finish(system)
    return Export(fmt, document, validate(document, fmt))


# --- facts shared by the formats ------------------------------------------------------------------


def _rights(facts: Facts) -> list[tuple[str, str, str, str]]:
    """(right, level, residual level, treatment) per right in a risk register, the latest rating winning."""
    found: dict[str, tuple[str, str, str, str]] = {}
    for assessment in facts.buyer_side:
        for row in risk_register.register(assessment):
            if row.rating is None and row.right in found:
                continue
            treatment = row.rating.treatment if row.rating is not None else ""
            found[row.right] = (row.label, row.level_label, row.residual_label, treatment)
    return list(found.values())


def _risk_lines(facts: Facts) -> list[str]:
    lines = []
    for label, level, residual, treatment in _rights(facts):
        line = f"{label}: {level}"
        line += f", {residual} once treated" if residual else ""
        lines.append(line + (f". Treatment: {treatment}" if treatment else "."))
    return lines


def _audits(facts: Facts) -> list[tuple[FairnessAudit, list[str]]]:
    """Each finished fairness audit with its findings of disparity, in plain sentences."""
    ids = [a.id for a in facts.buyer_side]
    found = []
    for audit in db.session.scalars(
        select(FairnessAudit)
        .where(
            FairnessAudit.assessment_id.in_(ids),
            FairnessAudit.kind == "audit",
            FairnessAudit.status == "done",
        )
        .order_by(FairnessAudit.created_at, FairnessAudit.id)
    ):
        if audit.result is None:
            continue
        result = json.loads(audit.result)
        confidence = result["parameters"]["confidence"]
        sentences = [
            finding_sentence(d, confidence)
            for d in result["disparities"]
            if adjusted_verdict(d) == "disparity"
            and d["family"] != "intersection"
            and d["metric"] in KEY_METRICS
        ]
        found.append((audit, sentences))
    return found


def _audit_lines(facts: Facts, per_audit: int = 3) -> list[str]:
    lines = []
    for audit, sentences in _audits(facts):
        head = (
            f"Fairness audit {audit.id} ({audit.created_at:%Y-%m-%d}, "
            f"{LIFECYCLE_STAGES.label(audit.assessment.stage)}): "
            f"{len(sentences)} disparit{'y' if len(sentences) == 1 else 'ies'} found"
        )
        lines.append(head + (":" if sentences else "."))
        lines += [f"  {s}" for s in sentences[:per_audit]]
        if len(sentences) > per_audit:
            lines.append(f"  … and {len(sentences) - per_audit} more in the signed report.")
    return lines


def _audit_sources(facts: Facts) -> list[str]:
    return [f"fairness audit {audit.id}" for audit, _ in _audits(facts)]


def _report_line(facts: Facts) -> str | None:
    report = facts.report
    if report is None:
        return None
    signers = ", ".join(json.loads(report.signers))
    stage = LIFECYCLE_STAGES.label(report.assessment.stage)
    return (
        f"Signed report {report.code}-v{report.version} of the {stage} "
        f"assessment, issued {report.issued_at:%Y-%m-%d}, signed by {signers}; SHA-256 {report.sha256}."
    )


def _report_source(facts: Facts) -> list[str]:
    return [] if facts.report is None else [f"report {facts.report.code}-v{facts.report.version}"]


def _stages_line(facts: Facts) -> str:
    stages = "; ".join(
        f"{LIFECYCLE_STAGES.label(a.stage)} ({ASSESSMENT_STATUSES.label(a.status)})"
        for a in facts.assessments
    )
    level = facts.system.impact_level
    return f"HRIA human-rights impact assessment by lifecycle stage: {stages}." + (
        f" Impact level of the system: {level}." if level else ""
    )


def _assessment_summary(facts: Facts) -> tuple[str, list[str]]:
    """The findings of HRIA's assessment in a few lines: stages, rated rights, audits, the signed report."""
    if not facts.assessments:
        return "", []
    parts = [_stages_line(facts)]
    risks = _risk_lines(facts)
    if risks:
        parts += ["Rights at risk:"] + [f"- {line}" for line in risks]
    parts += _audit_lines(facts)
    report = _report_line(facts)
    if report:
        parts.append(report)
    sources = ["system.impact_level", "assessments"] + (["risk register"] if risks else [])
    return "\n".join(parts), sources + _audit_sources(facts) + _report_source(facts)


def _has_stage(facts: Facts, stage: str) -> bool:
    return any(a.stage == stage for a in facts.assessments)


def _in_use(facts: Facts) -> str | None:
    """'in use', 'retired', 'not yet' or None when HRIA's records disagree."""
    if facts.system.in_operation:
        return "in use"
    if _has_stage(facts, "retirement"):
        return "retired"
    if _has_stage(facts, "operation"):
        return None
    return "not yet"


IN_USE_UNCLEAR = (
    "The system has an operation-stage assessment but is not marked as in operation: mark it on the system "
    "page (or correct the assessment), then export again."
)


def _grievance_line(facts: Facts) -> tuple[str | None, list[str]]:
    page = facts.public_link("public.system_page")
    lines = []
    sources = []
    if page:
        lines.append(
            f"Anyone can raise a concern or complaint about the system through the form on its public page: "
            f"{page}"
        )
        sources.append("public page with grievance form")
    for question_id in ("DEP-13", "DEP-17", "DEP-20"):
        if question_id in facts.answers:
            lines.append(facts.answers[question_id].line)
            sources.append(f"answer {question_id}")
    return ("\n".join(lines) or None), sources


def _sector(facts: Facts, mapping: dict[str, str], standard: str) -> tuple[str | None, str]:
    sector = facts.system.sector
    reason = (
        f"HRIA's sector “{SECTORS.label(sector)}” has no single counterpart in the {standard}; choose the "
        "value yourself."
    )
    return mapping.get(sector), reason


# --- the formats ----------------------------------------------------------------------------------


def _eu_database(draft: Draft, facts: Facts) -> None:
    system = facts.system
    draft.put("deployer.name", system.owner.name, ["system.owner (the deciding body)"])
    summary, sources = _assessment_summary(facts)
    draft.put("fria_summary", summary, sources, "The system has no assessment yet.")
    draft.lack(
        "provider_entry_url",
        "HRIA does not hold the address of the provider's own entry in the EU "
        "database; ask the vendor for it.",
    )
    draft.lack(
        "dpia_summary",
        "HRIA records whether a data protection impact assessment was planned or done "
        "(SCO-12, DES-06), not its findings.",
    )


NL_THEMES = {
    "welfare": "Sociale zekerheid",
    "housing": "Wonen",
    "transport": "Verkeer",
    "urban_planning": "Ruimte en infrastructuur",
    "safety": "Openbare orde en veiligheid",
}
NL_STATUS = {"in use": "In gebruik", "retired": "Buiten gebruik", "not yet": "In ontwikkeling"}


def _nl_algoritmeregister(draft: Draft, facts: Facts) -> None:
    system = facts.system
    draft.put("name", system.name, ["system.name"])
    draft.put("description_short", system.purpose, ["system.purpose"])
    draft.put("organization", system.owner.name, ["system.owner"])
    theme, reason = _sector(facts, NL_THEMES, "Algoritmeregister's themes")
    draft.put("category", [theme] if theme else None, ["system.sector"], reason)
    draft.put(
        "status",
        NL_STATUS.get(_in_use(facts) or ""),
        ["system.in_operation", "assessment stages"],
        IN_USE_UNCLEAR,
    )
    page = facts.public_link("public.system_page")
    unpublished = "The system has no public page in HRIA yet: publish it (or run the export with --base-url)."
    draft.put("contact_email", page, ["public page with grievance form"], unpublished)
    draft.put("website", page, ["public page"], unpublished)
    draft.lack(
        "publication_category",
        "HRIA does not classify systems under the AI Act's high-risk list or the "
        "Dutch guidance on impactful algorithms; choose the category yourself.",
    )
    draft.lines("goal", facts, ["SCO-01", "SCO-04", "SCO-06", "SCO-07"])
    draft.lines("proportionality", facts, ["SCO-11", "SCO-02"])
    draft.lines("human_intervention", facts, ["SCO-03", "DEP-01", "DEP-02"])
    risks = _risk_lines(facts) + _audit_lines(facts, per_audit=1)
    draft.put(
        "risks", "\n".join(risks), ["risk register", *_audit_sources(facts)], "No risk has been rated yet."
    )
    draft.put(
        "lawful_basis",
        system.legal_basis,
        ["system.legal_basis"],
        "HRIA records whether a legal basis exists (SCO-10), not what it is.",
    )
    link = facts.public_link("public.report_pdf")
    reference = _report_source(facts)
    draft.put(
        "impacttoetsen_grouping",
        [{"title": f"HRIA human-rights impact assessment, {reference[0]}", "link": link}]
        if reference and link
        else None,
        reference,
        "There is no published signed report to link to.",
    )
    draft.put(
        "provider",
        system.vendor.name if system.vendor else None,
        ["system.vendor"],
        "HRIA has no vendor for this system.",
    )
    draft.lack(
        "lang",
        "The register accepts only Dutch ('nld'); HRIA's texts are in English or Chinese: "
        "translate the record, then set it.",
    )
    draft.put("standard_version", "1.0.0", ["the standard's version"])
    draft.put("source_id", f"hria-system-{system.id}", ["system.id"])


ATRS_PHASE = {"in use": "production", "retired": "retired"}


def _atrs(draft: Draft, facts: Facts) -> None:
    system = facts.system
    draft.put("name", system.name, ["system.name"])
    draft.put("description", system.purpose, ["system.purpose"])
    draft.put(
        "website",
        facts.public_link("public.system_page"),
        ["public page"],
        "The system has no public page in HRIA yet.",
    )
    draft.lack("contact_email", "HRIA keeps no contact address of the organisation (only its users' own).")
    draft.put("organisation", system.owner.name, ["system.owner"])
    draft.put(
        "external_supplier",
        [system.vendor.name] if system.vendor else None,
        ["system.vendor"],
        "HRIA has no vendor for this system.",
    )
    draft.lines("benefit", facts, ["SCO-01"])
    draft.lines("alternatives_considered", facts, ["SCO-02"])
    people = facts.answers.get("SCO-06")
    draft.put("frequency_usage", people.line if people else None, ["answer SCO-06"])
    phase = ATRS_PHASE.get(_in_use(facts) or "")
    if phase is None and _in_use(facts) == "not yet" and facts.assessments:
        latest = facts.assessments[-1].stage
        phase = {"scoping": "idea", "design": "design"}.get(latest)
        reason = f"HRIA's lifecycle stage “{LIFECYCLE_STAGES.label(latest)}” has no single ATRS phase."
    else:
        reason = IN_USE_UNCLEAR
    draft.put("phase", phase, ["system.in_operation", "assessment stages"], reason)
    draft.lines("maintenance", facts, ["OPS-01", "OPS-02", "OPS-04"])
    draft.lines("human_decisions", facts, ["SCO-03", "DEP-01", "DEP-02"])
    draft.lines("required_training", facts, ["DEP-14"])
    appeals, sources = _grievance_line(facts)
    draft.put("appeals_and_review", appeals, sources)
    report = facts.report
    if report is not None:
        draft.put("impact_assessment_name", ["HRIA human-rights impact assessment"], _report_source(facts))
        summary, sources = _assessment_summary(facts)
        draft.put("impact_assessment_description", [summary], sources)
        draft.put("impact_assessment_date", [f"{report.issued_at:%Y-%m-%d}"], _report_source(facts))
        link = facts.public_link("public.report_pdf")
        draft.put(
            "impact_assessment_link",
            [link] if link else None,
            _report_source(facts),
            "The signed report is not published.",
        )
    else:
        draft.lack("impact_assessment_name", "No signed report of the buyer or its oversight body yet.")
    rights = [r for r in _rights(facts) if r[1] != "not rated"]
    draft.put("risk_name", [r[0] for r in rights], ["risk register"], "No risk has been rated yet.")
    draft.put(
        "risk_description",
        [f"Rated {r[1]}" + (f", {r[2]} once treated" if r[2] else "") for r in rights],
        ["risk register"],
        "No risk has been rated yet.",
    )
    if rights and all(r[3] for r in rights):
        draft.put("risk_mitigation", [r[3] for r in rights], ["risk register"])
    else:
        draft.lack("risk_mitigation", "Not every rated risk has a recorded treatment.")


EUROCITIES_DOMAINS = {
    "welfare": "subsidies, benefits and allowances",
    "housing": "housing, living and living environment",
    "transport": "traffic and transportation",
    "urban_planning": "environment, spacial planning and water",
    "water": "environment, spacial planning and water",
    "safety": "public safety",
}
EUROCITIES_STATUS = {"in use": "operational", "retired": "retired"}


def _eurocities(draft: Draft, facts: Facts) -> None:
    system = facts.system
    draft.put("standard_version", "0.3.1", ["the standard's version"])
    draft.put("lang", facts.language, ["language of the latest assessment"])
    published = system.published_at
    draft.put(
        "publication_date",
        f"{published:%Y-%m-%d}" if published else None,
        ["system.published_at"],
        "The system is not published in HRIA.",
    )
    changed = max([system.updated_at] + [a.updated_at for a in facts.assessments])
    draft.put("last_change_date", f"{changed:%Y-%m-%d}", ["system.updated_at", "assessments.updated_at"])
    draft.put("name", system.name, ["system.name"])
    draft.put("organization", system.owner.name, ["system.owner"])
    draft.put("description_short", system.purpose, ["system.purpose"])
    draft.put(
        "website",
        facts.public_link("public.system_page"),
        ["public page"],
        "The system has no public page in HRIA yet.",
    )
    status = EUROCITIES_STATUS.get(_in_use(facts) or "")
    if status is None and _in_use(facts) == "not yet" and facts.assessments:
        status = {"scoping": "planned", "design": "design"}.get(facts.assessments[-1].stage)
    draft.put("status", status, ["system.in_operation", "assessment stages"], IN_USE_UNCLEAR)
    domain, reason = _sector(facts, EUROCITIES_DOMAINS, "Eurocities standard's domains")
    draft.put("domain", domain, ["system.sector"], reason)
    draft.lines("goal", facts, ["SCO-01"])
    draft.lines("impact", facts, ["SCO-04", "SCO-06", "SCO-07", "SCO-17", "SCO-18", "SCO-19"])
    draft.put("risks", "\n".join(_risk_lines(facts)), ["risk register"], "No risk has been rated yet.")
    if _prohibited(facts):
        draft.put("risk_category", "unacceptable", ["scoping screening (SCO-26)"])
    else:
        draft.lack("risk_category", "HRIA does not classify systems under the AI Act's risk categories.")
    draft.lines("proportionality", facts, ["SCO-11", "SCO-02"])
    draft.put(
        "lawful_basis",
        system.legal_basis,
        ["system.legal_basis"],
        "HRIA records whether a legal basis exists (SCO-10), not what it is.",
    )
    draft.put(
        "documentation",
        facts.public_link("public.system_page"),
        ["public page"],
        "The system has no public page in HRIA yet.",
    )
    draft.lines("DPIA_description", facts, ["SCO-12", "DES-06"])
    draft.put(
        "performance",
        "\n".join(_audit_lines(facts)),
        _audit_sources(facts),
        "No fairness audit has finished.",
    )
    draft.lines("alternatives_considered", facts, ["SCO-02"])
    summary, sources = _assessment_summary(facts)
    draft.put("AIA_description", summary, sources, "The system has no assessment yet.")
    draft.put(
        "AIA_url",
        facts.public_link("public.report_pdf") if facts.report else None,
        _report_source(facts),
        "There is no published signed report.",
    )
    monitoring = [facts.answers[q].line for q in ("OPS-01", "OPS-02") if q in facts.answers]
    audits = _audits(facts)
    if audits:
        monitoring.append(
            f"{len(audits)} fairness audits from {audits[0][0].created_at:%Y-%m-%d} to "
            f"{audits[-1][0].created_at:%Y-%m-%d}."
        )
    draft.put("monitoring", "\n".join(monitoring), ["answers OPS-01, OPS-02", *_audit_sources(facts)])
    draft.lines("human_intervention", facts, ["SCO-03", "DEP-01", "DEP-02"])
    objection, sources = _grievance_line(facts)
    draft.put("objection_procedure", objection, sources)


def _prohibited(facts: Facts) -> bool:
    return bool(screening.prohibited_uses(facts.system))


BUILDERS: dict[str, Callable[[Draft, Facts], None]] = {
    "eu-database": _eu_database,
    "atrs": _atrs,
    "nl-algoritmeregister": _nl_algoritmeregister,
    "eurocities": _eurocities,
}
