"""What a report says: the plain data ``build_report`` lays out, as typed dictionaries.

The caller (the application, a test, a benchmark) assembles a ``ReportContent``; the library knows nothing
of where the content comes from. Text is set as given, already in the report's language.
"""

from __future__ import annotations

from typing import NotRequired, Required, TypedDict


class SystemInfo(TypedDict, total=False):
    """The system assessed."""

    name: Required[str]
    purpose: str
    sector: str
    owner: str
    vendor: str
    automated_decisions: bool


class Impact(TypedDict):
    """The impact score of the assessment and the level it gives."""

    level: str
    raw: float
    raw_max: float
    mitigation: float
    mitigation_max: float
    reduced: bool
    score: float
    share: float


class Method(TypedDict, total=False):
    """How the assessment was made: sentences, and the guideline paragraphs its questions cite."""

    checks: list[str]
    paragraphs: list[str]


class EvidenceFile(TypedDict):
    name: str
    sha256: str


class Question(TypedDict, total=False):
    """A question as asked, with its answer in words, its citations and the evidence attached."""

    id: Required[str]
    text: Required[str]
    answer: str | None
    cites: list[str]
    evidence: list[EvidenceFile]


class Section(TypedDict):
    title: str
    questions: list[Question]


class Risk(TypedDict, total=False):
    """A right in the risk register: what was found, and the assessor's rating where there is one.

    ``finding`` is the register's one line; ``findings`` the questions and technical findings behind it, which
    the report sets in an annex. ``severity`` (scale + scope + reversibility) and ``likelihood`` place the
    right on the heat map; ``level_key`` is the key of its band in ``RiskMatrix.levels``.
    """

    right: Required[str]
    finding: str
    findings: list[str]
    scale: int | None
    scope: int | None
    reversibility: int | None
    likelihood: int | None
    severity: int | None
    level: str | None
    level_key: str | None
    treatment: str
    owner: str | None
    due: str | None


class RiskBand(TypedDict):
    """A level of the risk matrix: a value up to ``up_to`` (the risk, severity × likelihood, or the severity
    alone; see ``RiskMatrix.basis``) has this level."""

    key: str
    label: str
    up_to: int


class RiskMatrix(TypedDict):
    """The axes of the heat map, as ``[lowest, highest]``, and the levels from the lowest up. ``basis`` is
    "severity" when the levels are bands of severity (likelihood only orders within a band), "risk" (the
    default) when they are bands of severity × likelihood."""

    severity: list[int]
    likelihood: list[int]
    levels: list[RiskBand]
    basis: NotRequired[str]


class FairnessGroup(TypedDict, total=False):
    """A group of a fairness audit: its rates (None where undefined) and their intervals."""

    name: Required[str]
    count: Required[int]
    family: str
    selection_rate: float | None
    true_positive_rate: float | None
    false_positive_rate: float | None
    false_negative_rate: float | None
    intervals: dict[str, list[float | None]]


class Verdict(TypedDict, total=False):
    """A group's metric compared with its reference group's: the ratio, its interval and the verdict.

    ``verdict`` is the fairness library's key (``"disparity"``, ``"inconclusive"``, ``"no evidence of
    disparity"``, ``"too small"``); ``metric`` a key such as ``"false_positive_rate"``.
    """

    group: Required[str]
    reference: Required[str]
    metric: Required[str]
    verdict: Required[str]
    family: str
    ratio: float | None
    low: float | None
    high: float | None
    # Why the ratio cannot be estimated, in words; empty or absent when it can. Such a ratio is not drawn.
    not_estimable: str


class FairnessResult(TypedDict, total=False):
    """A fairness audit of an uploaded file: the file, its groups, its verdicts and the disparities in words.

    ``ratio_band`` is ``[threshold, 1 / threshold]``: ratios inside it are not taken as a disparity.
    """

    file: Required[str]
    sha256: Required[str]
    rows: Required[int]
    groups: Required[list[FairnessGroup]]
    findings: list[str]
    verdicts: list[Verdict]
    ratio_band: list[float]
    confidence: float
    references: dict[str, str]
    # The multiple-comparison adjustment the findings survived, named in words.
    adjustment: str
    # The audit plan it ran under: its SHA-256, and "as planned" or each deviation in a sentence.
    plan_sha256: str
    plan: str


class FeatureShare(TypedDict):
    feature: str
    share: float


class Explanation(TypedDict, total=False):
    """An explanation of a model's outputs: fidelity in words, feature importance and flagged proxies."""

    file: Required[str]
    fidelity: Required[str]
    explains_model: bool
    importance: list[FeatureShare]
    flags: list[str]
    proxies: list[str]


class RemediationAction(TypedDict, total=False):
    """An action of the remediation plan; ``state`` is where it stands: ``"done"``, ``"in_progress"``,
    ``"overdue"`` or ``"open"``, and ``status`` its status in words."""

    action: Required[str]
    paragraph: str
    right: str
    owner: str | None
    due: str | None
    status: str
    state: str


class Review(TypedDict, total=False):
    """Where the assessment's review stands when the report is issued, and who is to countersign."""

    status: Required[str]
    decisions: list[str]
    countersigners: list[str]


class Grievances(TypedDict):
    """Grievances the public sent about the system, and how fast the buyer responded (days)."""

    received: int
    triaged: int
    answered: int
    awaiting: int
    overdue: int
    response_days: int
    median_days_to_respond: float | None
    longest_days_to_respond: float | None


class Condition(TypedDict, total=False):
    """A condition the oversight body attached to its approval, tracked until it is fulfilled."""

    condition: Required[str]
    owner: str | None
    due: str | None
    status: str
    fulfilment: str


class CoveredElement(TypedDict):
    """An element of a framework (its reference and label) and the answered questions that cover it; none:
    the element is open."""

    ref: str
    label: str
    covered_by: list[str]


class FrameworkCoverage(TypedDict):
    """A framework the assessment maps to, with how many of its elements are covered."""

    name: str
    covered: int
    elements: list[CoveredElement]


class Coverage(TypedDict):
    """Coverage of the frameworks by this assessment's answers and by all the system's assessments
    (``assessments`` names them)."""

    assessment: list[FrameworkCoverage]
    system: list[FrameworkCoverage]
    assessments: list[str]


class Signatory(TypedDict):
    """A party expected to sign: the issuer first, then those who countersign. Each gets a signature box on
    the sign-off page, in this order (see ``reports.layout.signature_box``)."""

    organisation: str
    role: str


class ReportContent(TypedDict):
    """Everything a report shows. Only the cover's essentials are required; every section may be absent.

    Attributes
    ----------
    kind : str
        ``"risk"``, ``"self-certification"`` or ``"review"``.
    report_id : str
        The registry's id of this report (code and version).
    issued_at : str
        Date and time of issue, as it is to be shown.
    organisation : str
        The issuing organisation.
    system : SystemInfo
        The system assessed.
    stage : str
        The lifecycle stage, as a label.
    lang : str, optional
        ``"en"`` (the default) or ``"zh"``: the language of the labels the PDF adds.
    title : str, optional
        How the issuer names the report, e.g. in the signature's reason; the PDF shows the kind's own label.
    bank_version : str, optional
        The version of the question bank the assessment used.
    impact : Impact or None, optional
        The impact score; None, or absent, before the assessment is scored.
    draft : bool, optional
        True for a report of incomplete work: it is marked "Draft — incomplete" on its first page and in its
        footer, with ``answered`` of ``questions`` questions answered.
    summary : list of str, optional
        Sentences of the summary.
    risk_matrix : RiskMatrix, optional
        The axes and levels of the heat map on the first page.
    review : Review, optional
        The review status shown on the first page.
    verify_url : str, optional
        Where anyone can verify the signed file, shown in every signature's appearance.
    method, sections, risks, fairness, explanations, remediation, conditions, obligations, signoff : optional
        The sections of the report. A section whose key is absent is left out (its issuer may not read it); an
        empty list is shown as "None".
    grievances : Grievances, optional
        Counts and response times of the grievances the public sent about the system.
    coverage : Coverage, optional
        Which elements of the frameworks (EU AI Act Art. 27, HUDERIA, ISO/IEC 42005, IAMA) the answers cover,
        set as an annex.
    """

    kind: str
    report_id: str
    issued_at: str
    organisation: str
    system: SystemInfo
    stage: str
    lang: NotRequired[str]
    title: NotRequired[str]
    bank_version: NotRequired[str]
    impact: NotRequired[Impact | None]
    draft: NotRequired[bool]
    answered: NotRequired[int]
    questions: NotRequired[int]
    summary: NotRequired[list[str]]
    risk_matrix: NotRequired[RiskMatrix]
    review: NotRequired[Review]
    verify_url: NotRequired[str]
    method: NotRequired[Method]
    sections: NotRequired[list[Section]]
    risks: NotRequired[list[Risk]]
    fairness: NotRequired[list[FairnessResult]]
    explanations: NotRequired[list[Explanation]]
    remediation: NotRequired[list[RemediationAction]]
    conditions: NotRequired[list[Condition]]
    obligations: NotRequired[list[str]]
    signoff: NotRequired[list[Signatory]]
    grievances: NotRequired[Grievances]
    coverage: NotRequired[Coverage]
