"""Impact scoring and the risk matrix, as plain functions of the bank and the answers.

Impact follows Canada's Algorithmic Impact Assessment with the fixes its users ask for: only
questions shown to the user count, in the score and in the maximum; "not applicable" takes a
question out of both; absolute points are reported beside the shares. The thresholds and the
reduction come from the bank's data. There is no level until every impact question shown is answered:
an unanswered risk question would otherwise count as "no risk".

The risk matrix puts severity first, as the UN Guiding Principles (14, 24) and the Council of Europe's
HUDERIA do: a bank whose matrix has ``severity_bands`` places a harm in the band of its severity (scale +
scope + remediability), raised to at least ``floor`` when any one dimension is at its gravest, and
likelihood only orders harms within a band. Banks without bands keep the earlier product rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NOT_APPLICABLE = "not_applicable"


def is_answered(value) -> bool:
    """An answer is given: nothing is stored for an empty one, and an empty choice is none."""
    return value not in (None, "", [])


def visible(question: dict, answers: dict, by_id: dict, sector: str | None = None) -> bool:
    """Shown to a system of ``sector`` when the question is asked in that sector (or in every sector), and
    without a condition or when the question it depends on is shown and answered as required."""
    sectors = question.get("sectors")
    if sectors is not None and sector not in sectors:
        return False
    condition = question.get("when")
    if not condition:
        return True
    target = by_id.get(condition["question"])
    if target is None or not visible(target, answers, by_id, sector):
        return False
    answer = answers.get(condition["question"])
    chosen = answer if isinstance(answer, list) else [answer]
    return any(value in condition["in"] for value in chosen)


def visible_questions(stage: dict, answers: dict, sector: str | None = None) -> list[dict]:
    by_id = {q["id"]: q for q in stage["questions"]}
    return [q for q in stage["questions"] if visible(q, answers, by_id, sector)]


def maximum(question: dict) -> float:
    if question["type"] == "yes_no":
        return max(question.get("points", {}).values(), default=0)
    if question["type"] == "single":
        return max((o.get("points", 0) for o in question["options"]), default=0)
    if question["type"] == "multiple":
        return sum(o.get("points", 0) for o in question["options"])
    if question["type"] == "number":
        return max(b["points"] for b in question["bands"])
    if question["type"] == "evidence":
        return question.get("points", {}).get("provided", 0)
    return 0


def points(question: dict, answer, evidence_count: int = 0) -> float:
    """Points earned by an answer (0 when unanswered)."""
    qtype = question["type"]
    if qtype == "evidence":
        return question.get("points", {}).get("provided", 0) if evidence_count else 0
    if answer is None or answer == "":
        return 0
    if qtype == "yes_no":
        return question.get("points", {}).get(answer, 0)
    if qtype == "single":
        return next((o.get("points", 0) for o in question["options"] if o["value"] == answer), 0)
    if qtype == "multiple":
        return sum(o.get("points", 0) for o in question["options"] if o["value"] in (answer or []))
    if qtype == "number":
        for band in question["bands"]:
            if band.get("below") is None or float(answer) < band["below"]:
                return band["points"]
    return 0


@dataclass
class Impact:
    raw: float = 0
    raw_max: float = 0
    mitigation: float = 0
    mitigation_max: float = 0
    reduced: bool = False
    score: float = 0
    share: float = 0
    level: str = ""
    counted: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)  # impact questions shown but not yet answered

    @property
    def complete(self) -> bool:
        return not self.open

    @property
    def mitigation_share(self) -> float:
        return self.mitigation / self.mitigation_max if self.mitigation_max else 0.0


def impact(
    bank: dict,
    stage: dict,
    answers: dict,
    evidence_counts: dict[str, int] | None = None,
    sector: str | None = None,
) -> Impact:
    evidence_counts = evidence_counts or {}
    result = Impact()
    shown = visible_questions(stage, answers, sector)
    # A question that decides whether an impact question is asked is open until answered: leaving it blank
    # must not hide a safeguard and let the level be computed without it.
    gates = {
        q["when"]["question"]
        for q in stage["questions"]
        if q.get("when") and q["kind"] in ("risk", "safeguard")
    }
    for question in shown:
        kind = question["kind"]
        unanswered = not is_answered(answers.get(question["id"]))
        impact_question = kind in ("risk", "safeguard") and question["type"] != "evidence"
        if unanswered and (impact_question or question["id"] in gates):
            result.open.append(question["id"])
        if kind not in ("risk", "safeguard") or answers.get(question["id"]) == NOT_APPLICABLE:
            continue
        earned = points(question, answers.get(question["id"]), evidence_counts.get(question["id"], 0))
        if kind == "risk":
            result.raw += earned
            result.raw_max += maximum(question)
        else:
            result.mitigation += earned
            result.mitigation_max += maximum(question)
        result.counted.append(question["id"])
    rules = bank["scoring"]
    result.reduced = (
        bool(result.mitigation_max)
        and result.mitigation >= rules["mitigation_threshold"] * result.mitigation_max
    )
    result.score = result.raw * (1 - rules["mitigation_reduction"]) if result.reduced else result.raw
    result.share = result.score / result.raw_max if result.raw_max else 0.0
    result.level = "" if result.open else level_for(rules["levels"], result.share)
    return result


def higher_level(levels: list[dict], first: str | None, second: str | None) -> str | None:
    """The graver of two impact levels (in the bank's order, lowest first); None counts as no level."""
    order = [row["level"] for row in levels]
    known = [level for level in (first, second) if level in order]
    return max(known, key=order.index) if known else None


def level_for(levels: list[dict], share: float) -> str:
    for row in levels:
        if share <= row["up_to"] + 1e-12:
            return row["level"]
    return levels[-1]["level"]


def risk_level(
    matrix: dict, scale: int, scope: int, reversibility: int, likelihood: int
) -> tuple[int, int, str]:
    """(severity, risk, level). Severity = scale + scope + reversibility (3–12); risk = severity ×
    likelihood, which orders harms. With severity bands the level is the severity's band, at least
    the floor when the harm is at its gravest or cannot be undone; without, the level is the band of the
    risk."""
    severity = scale + scope + reversibility
    risk = severity * likelihood
    bands = matrix.get("severity_bands")
    if bands is None:
        return severity, risk, _band(matrix["levels"], risk)
    order = [row["level"] for row in matrix["levels"]]
    level = _band(bands, severity)
    gravest = matrix["gravest"]
    if max(scale, reversibility) >= gravest["value"] and order.index(level) < order.index(gravest["floor"]):
        level = gravest["floor"]
    return severity, risk, level


def _band(bands: list[dict], value: float) -> str:
    for row in bands:
        if value <= row["up_to"]:
            return str(row["level"])
    return str(bands[-1]["level"])


def missing_safeguard(question: dict, answer) -> bool:
    """A safeguard that is not fully in place: answered no or partly, or a choice below its best."""
    if (
        question["kind"] != "safeguard"
        or answer in (None, "", NOT_APPLICABLE)
        or question["type"] == "evidence"
    ):
        return False
    return points(question, answer) < maximum(question)


def safeguard_in_place(question: dict, answer) -> bool:
    return (
        question["kind"] == "safeguard"
        and answer not in (None, "", NOT_APPLICABLE)
        and question["type"] != "evidence"
        and points(question, answer) >= maximum(question)
    )
