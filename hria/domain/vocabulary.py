"""The product's fixed vocabularies: each defined once here and imported everywhere else.

Every entry pairs a stable key (stored in the database and in the question banks)
with an English and a Chinese label.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Term:
    key: str
    en: str
    zh: str

    def label(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en


class Vocabulary:
    """An ordered set of terms with lookup by key."""

    def __init__(self, *terms: Term):
        self.terms = terms
        self._by_key = {t.key: t for t in terms}

    def __iter__(self):
        return iter(self.terms)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __getitem__(self, key: str) -> Term:
        return self._by_key[key]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(str(t.key) for t in self.terms)

    def choices(self, lang: str = "en") -> list[tuple[str, str]]:
        return [(str(t.key), t.label(lang)) for t in self.terms]

    def label(self, key: str, lang: str = "en") -> str:
        term = self._by_key.get(key)
        return term.label(lang) if term else key


class OrganisationKind(StrEnum):
    BUYER = "buyer"
    VENDOR = "vendor"
    OVERSIGHT = "oversight"


class Role(StrEnum):
    ADMIN = "admin"
    PROCURER = "procurer"
    VENDOR = "vendor"
    OVERSIGHT = "oversight"


class AssessmentStatus(StrEnum):
    DRAFT = "draft"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"


# The states in which answers may change, and the states of a decided review.
EDITABLE_STATUSES = (AssessmentStatus.DRAFT, AssessmentStatus.IN_PROGRESS, AssessmentStatus.CHANGES_REQUESTED)
DECIDED_STATUSES = (
    AssessmentStatus.APPROVED,
    AssessmentStatus.APPROVED_WITH_CONDITIONS,
    AssessmentStatus.REJECTED,
)


class ReportKind(StrEnum):
    RISK = "risk"
    SELF_CERTIFICATION = "self-certification"
    REVIEW = "review"


class EvidencePurpose(StrEnum):
    QUESTION = "question"  # attached to a question; ``question_id`` names it
    ACTION = "action"  # evidence that a remediation action is done; ``question_id`` is "action:<id>"
    MODEL_OUTPUTS = "model_outputs"  # the data of fairness audits and explanations


class GrievanceStatus(StrEnum):
    RECEIVED = "received"
    TRIAGED = "triaged"  # taken into the risk register as a finding against a right
    ANSWERED = "answered"


class StakeholderCategory(StrEnum):
    AFFECTED_PEOPLE = "affected_people"
    COMMUNITY_GROUP = "community_group"
    WORKERS = "workers"
    CIVIL_SOCIETY = "civil_society"
    EXPERTS = "experts"
    PUBLIC_BODY = "public_body"


class ConsultationMethod(StrEnum):
    MEETING = "meeting"
    WORKSHOP = "workshop"
    SURVEY = "survey"
    INTERVIEWS = "interviews"
    WRITTEN = "written"


ORGANISATION_KINDS = Vocabulary(
    Term(OrganisationKind.BUYER, "Public buyer", "公共采购方"),
    Term(OrganisationKind.VENDOR, "Vendor", "供应商"),
    Term(OrganisationKind.OVERSIGHT, "Oversight body", "监督机构"),
)

ROLES = Vocabulary(
    Term(Role.ADMIN, "Administrator", "管理员"),
    Term(Role.PROCURER, "Procurement officer", "采购官员"),
    Term(Role.VENDOR, "Vendor", "供应商"),
    Term(Role.OVERSIGHT, "Oversight reviewer", "监督审查员"),
)

# The role a user of each kind of organisation ordinarily holds.
ROLE_FOR_KIND = {
    OrganisationKind.BUYER: Role.PROCURER,
    OrganisationKind.VENDOR: Role.VENDOR,
    OrganisationKind.OVERSIGHT: Role.OVERSIGHT,
}

REPORT_KINDS = Vocabulary(
    Term(ReportKind.RISK, "Risk and remediation report", "人权风险与整改报告"),
    Term(ReportKind.SELF_CERTIFICATION, "Self-certification", "自我认证"),
    Term(ReportKind.REVIEW, "Oversight review", "监督审查"),
)

# The nine urban sectors of footnote 58 of the guidelines.
SECTORS = Vocabulary(
    Term("urban_planning", "Urban and spatial planning", "城市和空间规划"),
    Term("housing", "Housing", "住房"),
    Term("transport", "Transport", "交通"),
    Term("energy", "Energy", "能源"),
    Term("water", "Water", "水"),
    Term("waste", "Waste", "废物"),
    Term("disaster", "Disaster prevention and management", "灾害预防和管理"),
    Term("safety", "Safety and security", "安全和安保"),
    Term("welfare", "Welfare", "福利"),
)

LIFECYCLE_STAGES = Vocabulary(
    Term("scoping", "Scoping", "范围界定"),
    Term("procurement", "Procurement", "采购"),
    Term("design", "Design and data", "设计和数据"),
    Term("deployment", "Deployment", "部署"),
    Term("operation", "Operation and monitoring", "运行和监测"),
    Term("retirement", "Retirement", "退役"),
)

ASSESSMENT_STATUSES = Vocabulary(
    Term(AssessmentStatus.DRAFT, "Draft", "草稿"),
    Term(AssessmentStatus.IN_PROGRESS, "In progress", "进行中"),
    Term(AssessmentStatus.SUBMITTED, "Submitted for review", "已提交审查"),
    Term(AssessmentStatus.UNDER_REVIEW, "Under review", "审查中"),
    Term(AssessmentStatus.APPROVED, "Approved", "已批准"),
    Term(AssessmentStatus.APPROVED_WITH_CONDITIONS, "Approved with conditions", "有条件批准"),
    Term(AssessmentStatus.CHANGES_REQUESTED, "Changes requested", "要求修改"),
    Term(AssessmentStatus.REJECTED, "Rejected", "已拒绝"),
)

LANGUAGES = Vocabulary(
    Term("en", "English", "英文"),
    Term("zh", "Chinese", "中文"),
)

CONDITION_STATUSES = Vocabulary(
    Term("open", "Open", "未处理"),
    Term("in_progress", "In progress", "进行中"),
    Term("fulfilled", "Fulfilled", "已履行"),
)

REMEDIATION_STATUSES = Vocabulary(
    Term("open", "Open", "未处理"),
    Term("in_progress", "In progress", "进行中"),
    Term("done", "Done", "已完成"),
    Term("accepted_risk", "Risk accepted (with justification)", "接受风险（附理由）"),
    Term("resolved", "Resolved by a later answer", "因后续回答而解决"),
)

# The four dimensions a right's risk is rated on (HUDERIA: scale, scope and remediability make severity;
# likelihood orders harms of one severity), each on its own words, so that no select offers "very
# serious" as a probability.
RISK_DIMENSIONS = {
    "scale": Vocabulary(
        Term("1", "1 — minor", "1 — 轻微"),
        Term("2", "2 — moderate", "2 — 中等"),
        Term("3", "3 — serious", "3 — 严重"),
        Term("4", "4 — very serious", "4 — 非常严重"),
    ),
    "scope": Vocabulary(
        Term("1", "1 — a few people", "1 — 少数人"),
        Term("2", "2 — a group or a neighbourhood", "2 — 一个群体或一个街区"),
        Term("3", "3 — many people or several groups", "3 — 许多人或多个群体"),
        Term("4", "4 — most residents, or a whole group", "4 — 大多数居民或整个群体"),
    ),
    "reversibility": Vocabulary(
        Term("1", "1 — easily undone", "1 — 容易消除"),
        Term("2", "2 — undone with effort", "2 — 经努力可消除"),
        Term("3", "3 — hard to undo", "3 — 难以消除"),
        Term("4", "4 — cannot be undone", "4 — 无法消除"),
    ),
    "likelihood": Vocabulary(
        Term("1", "1 — rare", "1 — 罕见"),
        Term("2", "2 — unlikely", "2 — 不太可能"),
        Term("3", "3 — likely", "3 — 可能"),
        Term("4", "4 — almost certain", "4 — 几乎肯定"),
    ),
}

GRIEVANCE_STATUSES = Vocabulary(
    Term(GrievanceStatus.RECEIVED, "Received, awaiting a response", "已收到、待答复"),
    Term(GrievanceStatus.TRIAGED, "Taken into the risk register", "已纳入风险登记册"),
    Term(GrievanceStatus.ANSWERED, "Answered", "已答复"),
)

STAKEHOLDER_CATEGORIES = Vocabulary(
    Term(StakeholderCategory.AFFECTED_PEOPLE, "People affected by the system", "受系统影响的人"),
    Term(StakeholderCategory.COMMUNITY_GROUP, "Community groups", "社区团体"),
    Term(StakeholderCategory.WORKERS, "Workers and their representatives", "工作人员及其代表"),
    Term(StakeholderCategory.CIVIL_SOCIETY, "Civil society organisations", "民间社会组织"),
    Term(StakeholderCategory.EXPERTS, "Independent experts", "独立专家"),
    Term(StakeholderCategory.PUBLIC_BODY, "Other public bodies", "其他公共机构"),
)

CONSULTATION_METHODS = Vocabulary(
    Term(ConsultationMethod.MEETING, "Public meeting", "公开会议"),
    Term(ConsultationMethod.WORKSHOP, "Workshop", "研讨会"),
    Term(ConsultationMethod.SURVEY, "Survey", "问卷调查"),
    Term(ConsultationMethod.INTERVIEWS, "Interviews", "访谈"),
    Term(ConsultationMethod.WRITTEN, "Written submissions", "书面意见"),
)
