import re
from collections import Counter
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, IntegerField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from fairness.analysis import UNJUDGED_METRICS
from fairness.metrics import METRIC_LABELS, METRIC_NAMES
from fairness.plans import AuditPlan
from fairness.power import HOLM, METHOD_LABELS
from hria.web.forms import Finite, SubmitOnceForm, add_error, options

NONE = ""
CONFIDENCE_LEVELS = [("0.9", "90 %"), ("0.95", "95 %"), ("0.99", "99 %")]

# Column names that usually hold each role, matched case-insensitively.
GUESSES = {
    "y_true": r"^(y_true|label|outcome|actual|target|observed|truth|two_year_recid|is_recid|ground_truth)$",
    "y_pred": r"^(y_pred|prediction|predicted|decision|pred|flag|selected|high_risk|score_text)$",
    "score": r"^(score|probability|proba|risk_score|decile_score|y_score|propensity)$",
    "sensitive": r"^(race|ethnicity|ethnic_group|sex|gender|age_cat|age_group|disability|religion|"
    r"nationality|marital_status|language|district|neighbourhood|neighborhood)$",
}


def guess_columns(header: list[str]) -> dict:
    found: dict[str, Any] = {"y_true": NONE, "y_pred": NONE, "score": NONE, "sensitive": []}
    repeated = repeated_names(header)
    for name in header:
        if name in repeated:  # a repeated name cannot be chosen, so it is never proposed
            continue
        for role, pattern in GUESSES.items():
            if re.match(pattern, name.strip(), re.IGNORECASE):
                if role == "sensitive":
                    found["sensitive"].append(name)
                elif not found[role]:
                    found[role] = name
    return found


def repeated_names(header: list[str]) -> set[str]:
    return {name for name, count in Counter(header).items() if count > 1}


def named_columns(header: list[str]) -> list[tuple[str, str]]:
    # a column without a name cannot be told from "none", so it is not offered
    return [(h, h) for h in dict.fromkeys(header) if h]


def refuse_unusable(field, repeated: set[str], nested: dict[str, str]) -> bool:
    """False, with a message on the field, when a chosen column is named twice or holds nested values."""
    chosen = field.data if isinstance(field.data, list) else [field.data]
    for name in chosen:
        if name in repeated:
            add_error(
                field,
                f"The file's header names “{name}” more than once, so it is not clear which column is meant. "
                f"Choose another column, or rename the copies in the file and upload it again.",
            )
            return False
        if name in nested:
            add_error(
                field,
                f"The column “{name}” holds nested values ({nested[name]}), not one plain value per row. "
                f"Choose a column of plain values (text or numbers), or flatten it into separate columns "
                f"first.",
            )
            return False
    return True


class UploadForm(FlaskForm):
    file = FileField(
        "Model outputs (CSV or Parquet)",
        validators=[FileRequired("Choose a file to upload.")],
        description="One row per decision: the observed outcome, the model's decision and/or score, "
        "and the protected attributes. Never a model file.",
    )
    submit = SubmitField("Upload")


class MappingForm(SubmitOnceForm):
    y_true = SelectField(
        "Observed outcome",
        description="What actually happened (e.g. reoffended, repaid, fraud found). Without it the audit "
        "is of the decisions alone: selection rates and impact ratios only, since error rates, precision "
        "and accuracy need observed outcomes.",
    )
    y_pred = SelectField(
        "Model decision",
        description="The binary decision the model made. Leave empty to use a score and threshold.",
    )
    score = SelectField(
        "Model score", description="Optional: enables AUC, calibration by score band and a threshold sweep."
    )
    threshold = DecimalField(
        "Threshold",
        places=None,
        validators=[Optional(), Finite()],
        description=(
            "A score at or above it counts as a positive decision (needed without a decision column)."
        ),
    )
    sensitive_features = SelectMultipleField(
        "Protected attributes",
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        description="Each is audited alone and, with two or more, their intersections.",
    )
    pos_label = StringField(
        "Positive outcome value(s)",
        description="Only when outcomes are not 0/1, true/false or yes/no; separate several with commas.",
    )
    pred_pos_label = StringField(
        "Positive decision value(s)",
        description="E.g. “Medium,High” for a risk band; defaults to the positive outcome value.",
    )
    reference = StringField(
        "Reference groups",
        description="E.g. “race=Caucasian,sex=Male”. Default: the largest group of each attribute.",
    )
    min_group_size = IntegerField(
        "Smallest group to judge", default=30, validators=[NumberRange(min=1, max=100000)]
    )
    confidence = SelectField("Confidence level", choices=options(CONFIDENCE_LEVELS), default="0.95")
    plan = SelectField(
        "Audit plan",
        default=NONE,
        description="The plan fixed before the data was uploaded; the audit page shows each deviation.",
    )
    multiple_comparisons = SelectField(
        "Adjustment for multiple comparisons",
        choices=options(list(METHOD_LABELS.items())),
        default=HOLM,
        description="An audit makes many comparisons; without an adjustment some disparities are found by "
        "chance. Holm bounds the chance of any false one, Benjamini–Hochberg their expected share.",
    )
    submit = SubmitField("Run the audit")

    def set_columns(self, header: list[str], nested: dict[str, str]) -> None:
        """The file's columns as choices; repeated names and ``nested`` columns are refused when chosen."""
        self.repeated, self.nested = repeated_names(header), nested
        named = named_columns(header)
        self.y_true.choices = options([(NONE, "— none: audit the decisions alone —"), *named])
        self.y_pred.choices = options([(NONE, "— none —"), *named])
        self.score.choices = options([(NONE, "— none —"), *named])
        self.sensitive_features.choices = options(named)

    def set_plans(self, plans: list) -> None:
        self.plan.choices = options(
            [(NONE, "— no plan —"), *((str(p.id), f"{p.title} (SHA-256 {p.sha256[:12]}…)") for p in plans)]
        )

    def follow(self, plan: AuditPlan, plan_id: int, header: list[str]) -> None:
        """Start from what the plan fixed; whatever is changed afterwards is shown as a deviation."""
        self.plan.data = str(plan_id)
        self.sensitive_features.data = [c for c in plan.sensitive_features if c in header]
        self.reference.data = ",".join(f"{k}={v}" for k, v in plan.reference.items())
        self.min_group_size.data = plan.min_group_size
        self.confidence.data = str(plan.confidence)
        self.multiple_comparisons.data = plan.multiple_comparisons

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in (self.y_true, self.y_pred, self.score, self.sensitive_features):
            valid &= refuse_unusable(field, self.repeated, self.nested)
        return valid

    def validate_sensitive_features(self, field):
        if not field.data:
            raise ValidationError("Choose at least one protected attribute.")
        roles = {
            self.y_true.data: "the observed outcome",
            self.y_pred.data: "the model decision",
            self.score.data: "the model score",
        }
        for name in field.data:
            if name and name in roles:
                raise ValidationError(
                    f"“{name}” is already chosen as {roles[name]}; a protected attribute is a "
                    f"column of its own (such as race or sex)."
                )

    def validate_y_pred(self, field):
        if not field.data and not self.score.data:
            raise ValidationError("Choose the model's decision column, or a score column and a threshold.")
        if field.data and field.data == self.y_true.data:
            raise ValidationError("The decision and the outcome must be different columns.")

    def validate_threshold(self, field):
        if not self.y_pred.data and self.score.data and field.data is None:
            raise ValidationError("Give the threshold that turns the score into decisions.")

    def reference_groups(self) -> dict | None:
        return parse_groups(self.reference.data) or None

    def settings(self) -> dict:
        return {
            "y_true": self.y_true.data or None,
            "y_pred": self.y_pred.data or None,
            "score": self.score.data or None,
            "threshold": float(self.threshold.data) if self.threshold.data is not None else None,
            "sensitive_features": list(self.sensitive_features.data or []),
            "pos_label": (self.pos_label.data or "").strip() or None,
            "pred_pos_label": (self.pred_pos_label.data or "").strip() or None,
            "reference": self.reference_groups(),
            "min_group_size": self.min_group_size.data,
            "confidence": float(self.confidence.data),
            "multiple_comparisons": self.multiple_comparisons.data,
        }


class ExplainForm(SubmitOnceForm):
    output = SelectField(
        "Model output to explain", description="The decision, or better the score if there is one."
    )
    pos_label = StringField(
        "Positive decision value(s)",
        description="Only for a decision whose values are not 0/1, true/false or yes/no.",
    )
    sensitive_features = SelectMultipleField(
        "Protected attributes",
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        description="Left out of the surrogate; used for per-group attributions and proxy detection.",
    )
    features = SelectMultipleField(
        "Features the model saw",
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        description="Untick the observed outcome and anything the model did not receive.",
    )
    sample = IntegerField(
        "Rows given SHAP attributions", default=2000, validators=[NumberRange(min=100, max=20000)]
    )
    submit = SubmitField("Explain")

    def set_columns(self, header: list[str], nested: dict[str, str]) -> None:
        self.repeated, self.nested = repeated_names(header), nested
        named = named_columns(header)
        self.output.choices = options(named)
        self.sensitive_features.choices = options(named)
        self.features.choices = options(named)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in (self.output, self.sensitive_features):
            valid &= refuse_unusable(field, self.repeated, self.nested)
        return valid

    def validate_sensitive_features(self, field):
        if not field.data:
            raise ValidationError("Choose at least one protected attribute.")
        if self.output.data in field.data:
            raise ValidationError(
                f"“{self.output.data}” is the output to explain; a protected attribute is a column "
                f"of its own (such as race or sex)."
            )

    def validate_features(self, field):
        chosen = [
            f for f in field.data if f != self.output.data and f not in (self.sensitive_features.data or [])
        ]
        if not chosen:
            raise ValidationError("Choose the features the model saw.")
        repeated = sorted(set(chosen) & self.repeated)
        if repeated:
            raise ValidationError(
                f"The header names {', '.join(repeated)} more than once; untick them or rename the copies."
            )
        nested = sorted(set(chosen) & set(self.nested))
        if nested:
            raise ValidationError(
                f"{', '.join(nested)} hold nested values (records or lists), from which no feature "
                f"can be made; untick them."
            )

    def settings(self, is_score: bool) -> dict:
        features = [
            f
            for f in self.features.data or []
            if f != self.output.data and f not in (self.sensitive_features.data or [])
        ]
        return {
            "y_pred": None if is_score else self.output.data,
            "score": self.output.data if is_score else None,
            "pos_label": (self.pos_label.data or "").strip() or None,
            "sensitive_features": list(self.sensitive_features.data or []),
            "features": features,
            "sample": self.sample.data,
        }


PLANNED_METRICS = [(m, METRIC_LABELS[m]) for m in METRIC_NAMES if m not in UNJUDGED_METRICS]
DEFAULT_PLANNED = ["selection_rate", "false_positive_rate", "false_negative_rate"]


def parse_groups(text: str | None) -> dict[str, str]:
    """'race=White,sex=Male' as a dict; a part without '=' is refused in words."""
    groups = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValidationError(f"“{part.strip()}” should look like column=value.")
        column, value = part.split("=", 1)
        groups[column.strip()] = value.strip()
    return groups


class PlanForm(SubmitOnceForm):
    title = StringField("Name of the plan", validators=[DataRequired(), Length(max=200)])
    sensitive_features = StringField(
        "Protected attributes",
        validators=[DataRequired("Name at least one protected attribute.")],
        description="The columns to audit, separated by commas, e.g. “nationality, sex”.",
    )
    metrics = SelectMultipleField(
        "Metrics to judge",
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        default=DEFAULT_PLANNED,
        description="Error rates, precision and accuracy need observed outcomes; selection rates do not.",
    )
    reference = StringField(
        "Reference groups", description="E.g. “nationality=national”. Empty: the largest."
    )
    difference_threshold = DecimalField(
        "Difference threshold",
        places=None,
        default=Decimal("0.1"),
        validators=[NumberRange(min=0, max=1), Finite()],
    )
    ratio_threshold = DecimalField(
        "Ratio threshold",
        places=None,
        default=Decimal("0.8"),
        validators=[NumberRange(min=0.01, max=1), Finite()],
    )
    min_group_size = IntegerField(
        "Smallest group to judge", default=30, validators=[NumberRange(min=1, max=100000)]
    )
    confidence = SelectField("Confidence level", choices=options(CONFIDENCE_LEVELS), default="0.95")
    multiple_comparisons = SelectField(
        "Adjustment for multiple comparisons", choices=options(list(METHOD_LABELS.items())), default=HOLM
    )
    period = StringField("Period of the data", description="E.g. “decisions of January to March 2026”.")
    population = StringField("Population", description="E.g. “every applicant for housing benefit”.")
    submit = SubmitField("Fix the plan")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.metrics.choices = options(PLANNED_METRICS)

    def validate_metrics(self, field):
        if not field.data:
            raise ValidationError("Choose at least one metric to judge.")

    def validate_reference(self, field):
        parse_groups(field.data)

    def plan(self) -> AuditPlan:
        return AuditPlan(
            sensitive_features=[
                c.strip() for c in (self.sensitive_features.data or "").split(",") if c.strip()
            ],
            metrics=list(self.metrics.data or []),
            reference=parse_groups(self.reference.data),
            difference_threshold=float(self.difference_threshold.data or 0),  # required: set once valid
            ratio_threshold=float(self.ratio_threshold.data or 0),
            min_group_size=self.min_group_size.data or 1,  # required by its validator
            confidence=float(self.confidence.data),
            multiple_comparisons=self.multiple_comparisons.data,
            period=(self.period.data or "").strip(),
            population=(self.population.data or "").strip(),
        )
