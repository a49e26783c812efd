"""Signed reports on the web: issue, download, countersign, and the public verification page."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField

from hria.domain import access, reporting
from hria.domain.models import Report
from hria.domain.vocabulary import ReportKind, Role
from hria.extensions import db
from reports import SigningKeyError
from reports.verify import OVERSIGHT, OWNER, RELATIONS, NotSignedPdf

bp = Blueprint("reports", __name__)


class VerifyForm(FlaskForm):
    file = FileField("Signed PDF report", validators=[FileRequired("Choose the PDF to verify.")])
    submit = SubmitField("Verify")


def kind_for(user, assessment) -> str | None:
    """The report this user may issue on this assessment."""
    if access.can_manage_system(user, assessment.system) and user.role != Role.VENDOR:
        return ReportKind.RISK
    if user.role == Role.VENDOR and access.can_contribute(user, assessment):
        return ReportKind.SELF_CERTIFICATION
    if user.role == Role.OVERSIGHT:
        return ReportKind.REVIEW
    return None


def can_countersign(user, report: Report) -> bool:
    """The current version, unsigned by the user's organisation, which is a party that may countersign."""
    if report.superseded_by_id or user.organisation.name in json.loads(report.signers):
        return False
    relation = reporting.relations(report).get(user.organisation_id)
    if relation == OVERSIGHT:
        return user.role == Role.OVERSIGHT
    return relation == OWNER and access.can_manage_system(user, report.assessment.system)


def _report_or_404(report_id: int) -> Report:
    report = db.session.get(Report, report_id)
    if report is None:
        abort(404)
    access.assessment_or_404(current_user, report.assessment_id)
    # an invited vendor reads only its own certification of its part, not the buyer's reports or another's
    invited = current_user.role == Role.VENDOR and not access.self_certifies(current_user, report.assessment)
    if invited and (
        report.kind != ReportKind.SELF_CERTIFICATION
        or reporting.issuer_name(report) != current_user.organisation.name
    ):
        abort(404)
    return report


@bp.route("/assessments/<int:assessment_id>/reports", methods=["POST"])
@login_required
def issue(assessment_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    kind = kind_for(current_user, assessment)
    if kind is None:
        abort(403)
    if not FlaskForm().validate_on_submit():
        abort(400)
    issuer = current_user.organisation if kind != ReportKind.RISK else None
    try:
        draft = request.form.get("draft") == "1"
        report = reporting.issue(assessment, kind, current_user, issuer=issuer, draft=draft)
        db.session.commit()
    except (reporting.ReportError, SigningKeyError) as error:
        db.session.rollback()
        flash(f"The report could not be issued: {error}", "error")
    else:
        marked = " as a draft of incomplete work" if report.draft else ""
        flash(
            f"Issued and signed {report.label}{marked}: it is listed below, ready to download.",
            "info",
        )
    return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id) + "#reports")


@bp.route("/reports/<int:report_id>/download")
@login_required
def download(report_id: int):
    report = _report_or_404(report_id)
    return send_file(
        report.path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{report.label}.pdf",
    )


@bp.route("/reports/<int:report_id>/countersign", methods=["POST"])
@login_required
def countersign(report_id: int):
    report = _report_or_404(report_id)
    access.require(can_countersign(current_user, report))
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        new = reporting.countersign(report, current_user.organisation, current_user)
        db.session.commit()
    except (reporting.ReportError, SigningKeyError) as error:
        db.session.rollback()
        flash(f"The report could not be countersigned: {error}", "error")
    else:
        flash(f"Countersigned {new.label} for {current_user.organisation.name}.", "info")
    return redirect(url_for("assessments.view_assessment", assessment_id=report.assessment_id) + "#reports")


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    form = VerifyForm()
    checked = error = None
    status = 200
    if form.validate_on_submit():
        try:
            checked = reporting.verify(form.file.data.read())
        except NotSignedPdf as problem:
            error, status = str(problem), 422
    elif request.method == "POST":
        error, status = "Choose the PDF to verify.", 400
    return render_template(
        "reports/verify.html", form=form, checked=checked, error=error, relations=RELATIONS
    ), status
