"""Contract clauses of a procurement-stage assessment: a preview of each clause and what it answers, and the
clauses as PDF or DOCX. Read by whoever reads the assessment's risk register and remediation plan."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user, login_required

from hria.domain import clauses
from hria.domain.models import Assessment
from hria.web.context import assessment_context
from hria.web.errors import refused
from reports.fonts import FontNotFound

bp = Blueprint("clauses", __name__)


def _language(assessment: Assessment) -> str:
    asked = request.args.get("lang", "")
    return asked if asked in clauses.LANGS else assessment.language


def _refusal(assessment: Assessment, reason: str, code: int = 409):
    back = url_for("assessments.view_assessment", assessment_id=assessment.id)
    return refused(code, reason, back, "Back to the assessment", title="No contract clauses here")


@bp.route("/assessments/<int:assessment_id>/clauses")
@login_required
def preview(assessment_id: int):
    # the clauses cite the register and the plan: the same readers, and 404 for anyone else
    assessment, _bank, _stage = assessment_context(assessment_id, buyer_side=True)
    try:
        data = clauses.document(assessment, _language(assessment))
    except clauses.ClauseError as error:
        return _refusal(assessment, str(error))
    return render_template("clauses/preview.html", assessment=assessment, data=data, user=current_user)


@bp.route("/assessments/<int:assessment_id>/clauses.pdf")
@bp.route("/assessments/<int:assessment_id>/clauses.docx")
@login_required
def download(assessment_id: int):
    assessment, _bank, _stage = assessment_context(assessment_id, buyer_side=True)
    # the address's suffix is the format (a variable in the rule would be one more id-like part to bound)
    fmt = request.path.rsplit(".", 1)[1]
    try:
        data = clauses.document(assessment, _language(assessment))
        content = clauses.render(data, fmt, cjk_font=_cjk_font())
    except clauses.ClauseError as error:
        return _refusal(assessment, str(error))
    except FontNotFound as error:
        return _refusal(assessment, str(error), code=503)
    name = f"contract-clauses-assessment-{assessment.id}-{data['lang']}.{fmt}"
    return Response(
        content,
        mimetype=clauses.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _cjk_font() -> str | None:
    from flask import current_app

    return current_app.config.get("CJK_FONT")
