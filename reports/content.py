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
    """A right in the risk register: what was found, and the assessor's rating where there is one."""

    right: Required[str]
    findings: list[str]
    scale: int | None
    scope: int | None
    reversibility: int | None
    likelihood: int | None
    level: str | None


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


class FairnessResult(TypedDict, total=False):
    """A fairness audit of an uploaded file: the file, its groups and the disparities found, in words."""

    file: Required[str]
    sha256: Required[str]
    rows: Required[int]
    groups: Required[list[FairnessGroup]]
    findings: list[str]
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


class RemediationAction(TypedDict, total=False):
    action: Required[str]
    paragraph: str
    right: str
    owner: str | None
    due: str | None
    status: str


class Signatory(TypedDict):
    """A party expected to sign: the issuer first, then those who countersign."""

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
    summary : list of str, optional
        Sentences of the executive summary.
    method, sections, risks, fairness, explanations, remediation, obligations, signoff : optional
        The sections of the report, in that order after the answers' ``sections``.
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
    summary: NotRequired[list[str]]
    method: NotRequired[Method]
    sections: NotRequired[list[Section]]
    risks: NotRequired[list[Risk]]
    fairness: NotRequired[list[FairnessResult]]
    explanations: NotRequired[list[Explanation]]
    remediation: NotRequired[list[RemediationAction]]
    obligations: NotRequired[list[str]]
    signoff: NotRequired[list[Signatory]]
