import json

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from wtforms.validators import ValidationError

from fairness import InputError
from fairness.explain import usable_features
from fairness.loading import head_frame, is_score, numeric_columns
from fairness.plans import AuditPlan as Plan
from fairness.sources import Source, binary_error, open_source, preview
from hria import storage
from hria.domain import access, evidence, fairness_audits, jobs
from hria.domain.fairness_results import present
from hria.domain.models import AuditPlan, Evidence, FairnessAudit
from hria.domain.vocabulary import EvidencePurpose
from hria.extensions import db
from hria.web.audits.forms import ExplainForm, MappingForm, PlanForm, UploadForm, guess_columns
from hria.web.forms import add_error

bp = Blueprint("audits", __name__)

# Every column is offered four times on the mapping page; beyond this the page is no longer usable.
MAX_COLUMNS = 1000


@bp.route("/assessments/<int:assessment_id>/audits/upload", methods=["POST"])
@login_required
def upload(assessment_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    access.require(access.can_contribute(current_user, assessment))
    form = UploadForm()
    back = redirect(url_for("assessments.view_assessment", assessment_id=assessment.id) + "#audits")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return back
    try:
        record = evidence.store(form.file.data, assessment, EvidencePurpose.MODEL_OUTPUTS, current_user.id)
    except evidence.UploadError as error:
        flash(f"The file cannot be audited: {error}", "error")
        return back
    sha256 = record.sha256  # read now: a failed commit leaves the record detached
    try:
        _preview(record)
        db.session.commit()
    except BaseException as error:
        # whatever went wrong, a file without its evidence row is never kept: repeated uploads would fill the
        # disk
        db.session.rollback()
        evidence.discard_unreferenced(sha256)
        if not isinstance(error, InputError):
            raise
        flash(f"The file cannot be audited: {error}", "error")
        return back
    return redirect(url_for("audits.configure", assessment_id=assessment.id, evidence_id=record.id))


def _preview(record: Evidence) -> tuple[Source, list[list[str]]]:
    """The upload's header and first rows, from a bounded sample of the file."""
    source = open_source(evidence.path_of(record.sha256))
    if len(source.header) > MAX_COLUMNS:
        also = f" The header also repeats column names: {source.repeated}." if source.repeated else ""
        raise InputError(
            f"The file has {len(source.header):,} columns; the web form offers at most {MAX_COLUMNS:,}. "
            f"Keep the columns the audit needs (the outcome, the decision or score, the protected "
            f"attributes and the features the model saw), or run `hria audit` on the command line.{also}"
        )
    return source, preview(source)


@bp.route("/assessments/<int:assessment_id>/audits/new/<int:evidence_id>", methods=["GET", "POST"])
@login_required
def configure(assessment_id: int, evidence_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    record = access.evidence_or_404(current_user, evidence_id)
    if record.assessment_id != assessment.id or record.purpose != EvidencePurpose.MODEL_OUTPUTS:
        return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id))
    access.require(access.can_contribute(current_user, assessment))
    try:
        source, rows = _preview(record)
    except InputError as error:
        flash(f"The file cannot be audited: {error}", "error")
        return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id))
    form = MappingForm()
    form.set_columns(source.header, source.nested)
    plans = fairness_audits.plans_of(assessment)
    form.set_plans(plans)
    if not form.is_submitted():
        guessed = guess_columns(source.header)
        form.y_true.data, form.y_pred.data, form.score.data = (
            guessed["y_true"],
            guessed["y_pred"],
            guessed["score"],
        )
        form.sensitive_features.data = guessed["sensitive"]
        if plans:
            form.follow(Plan.from_json(plans[-1].content), plans[-1].id, source.header)
    elif form.validate() and not _chose_bytes(
        source, form.y_true, form.y_pred, form.score, form.sensitive_features
    ):
        if form.already_submitted():
            flash("This audit was already started: the form was sent twice.", "info")
            return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id) + "#audits")
        try:
            settings = form.settings()
        except ValidationError as error:
            form.reference.errors = [str(error)]
        else:
            plan = next((p for p in plans if str(p.id) == form.plan.data), None)
            if plan is not None:
                fixed = Plan.from_json(plan.content)
                settings |= {
                    "difference_threshold": fixed.difference_threshold,
                    "ratio_threshold": fixed.ratio_threshold,
                }
            job = FairnessAudit(
                assessment=assessment,
                evidence=record,
                settings=json.dumps(settings),
                status=fairness_audits.QUEUED,
                created_by_id=current_user.id,
                plan=plan,
            )
            db.session.add(job)
            db.session.commit()
            jobs.enqueue(job.id)
            return redirect(url_for("audits.view", audit_id=job.id))
    return render_template(
        "audits/configure.html",
        assessment=assessment,
        record=record,
        form=form,
        header=source.header,
        preview=rows,
        warnings=source.warnings,
    )


@bp.route("/assessments/<int:assessment_id>/explanations/new/<int:evidence_id>", methods=["GET", "POST"])
@login_required
def configure_explanation(assessment_id: int, evidence_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    record = access.evidence_or_404(current_user, evidence_id)
    if record.assessment_id != assessment.id or record.purpose != EvidencePurpose.MODEL_OUTPUTS:
        abort(404)
    access.require(access.can_contribute(current_user, assessment))
    try:
        source, rows = _preview(record)
        form = ExplainForm()
        form.set_columns(source.header, source.nested)
        if not form.is_submitted():
            _prefill_explanation(form, assessment, record, source.header)
        if (
            not form.is_submitted()
            or not form.validate()
            or _chose_bytes(source, form.output, form.sensitive_features, form.features)
        ):
            return render_template(
                "audits/explain.html",
                assessment=assessment,
                record=record,
                form=form,
                header=source.header,
                preview=rows,
            )
        output = form.output.data
        settings = form.settings(
            is_score=output in numeric_columns(source.header, rows) and is_score(source, output)
        )
    except InputError as error:
        flash(f"The file cannot be explained: {error}", "error")
        return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id))
    if form.already_submitted():
        flash("This explanation was already started: the form was sent twice.", "info")
        return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id) + "#audits")
    job = FairnessAudit(
        assessment=assessment,
        evidence=record,
        kind=fairness_audits.EXPLANATION,
        settings=json.dumps(settings),
        status=fairness_audits.QUEUED,
        created_by_id=current_user.id,
    )
    db.session.add(job)
    db.session.commit()
    jobs.enqueue(job.id)
    return redirect(url_for("audits.view", audit_id=job.id))


def _chose_bytes(source: Source, *fields) -> bool:
    """True, with the reason on the field, when a chosen column holds raw bytes, which nothing can read."""
    for field in fields:
        chosen = field.data if isinstance(field.data, list) else [field.data]
        binary = [name for name in chosen if name in source.binary]
        if binary:
            add_error(field, str(binary_error(binary[0])))
            return True
    return False


def _prefill_explanation(form: ExplainForm, assessment, record: Evidence, header: list[str]) -> None:
    """Start from the mapping of the latest audit of the same file, if there is one."""
    previous = (
        db.session.query(FairnessAudit)
        .filter_by(evidence_id=record.id, kind=fairness_audits.AUDIT)
        .order_by(FairnessAudit.id.desc())
        .first()
    )
    guessed = guess_columns(header)
    settings = json.loads(previous.settings) if previous else {}
    output = settings.get("score") or settings.get("y_pred") or guessed["score"] or guessed["y_pred"]
    sensitive = settings.get("sensitive_features") or guessed["sensitive"]
    outcome = settings.get("y_true") or guessed["y_true"]
    form.output.data = output
    form.pos_label.data = settings.get("pred_pos_label") or ""
    form.sensitive_features.data = sensitive
    others = {settings.get("y_pred"), settings.get("score")} - {output}
    usable = set(usable_features(head_frame(open_source(evidence.path_of(record.sha256)), SAMPLE_ROWS)))
    form.features.data = [
        h for h in dict.fromkeys(header) if h not in {output, outcome, *sensitive, *others} and h in usable
    ]


# The first rows of an upload, enough to tell identifiers and free text from features.
SAMPLE_ROWS = 20_000


@bp.route("/audits/<int:audit_id>/status")
@login_required
def status(audit_id: int):
    """Where a running audit or explanation is, for its page to show without reloading itself."""
    record = access.audit_or_404(current_user, audit_id)
    return {"status": record.status, "progress": record.progress or ""}


@bp.route("/audits/<int:audit_id>")
@login_required
def view(audit_id: int):
    record = access.audit_or_404(current_user, audit_id)
    settings = json.loads(record.settings)
    if record.kind == fairness_audits.EXPLANATION:
        result = json.loads(record.result) if record.result else None
        return render_template(
            "audits/explanation.html",
            audit=record,
            settings=settings,
            result=result,
            assessment=record.assessment,
        )
    data = json.loads(record.result) if record.result else None
    return render_template(
        "audits/view.html",
        audit=record,
        settings=settings,
        result=present(data) if data else None,
        plan=fairness_audits.plan_status(record, data) if data else None,
        assessment=record.assessment,
        can_explain=access.can_contribute(current_user, record.assessment),
    )


@bp.route("/assessments/<int:assessment_id>/audit-plans", methods=["GET", "POST"])
@login_required
def plans(assessment_id: int):
    """The assessment's audit plans, and the form that fixes a new one (before the data is uploaded)."""
    assessment = access.assessment_or_404(current_user, assessment_id)
    may_fix = fairness_audits.may_fix_plan(current_user, assessment)
    if request.method == "POST":
        access.require(may_fix)
    form = PlanForm() if may_fix else None
    if form is not None and form.validate_on_submit():
        if form.already_submitted():
            flash("This plan was already fixed: the form was sent twice.", "info")
            return redirect(url_for("audits.plans", assessment_id=assessment.id))
        try:
            plan = form.plan()
        except InputError as error:
            form.sensitive_features.errors = [str(error)]
        else:
            record = fairness_audits.fix_plan(assessment, current_user, form.title.data or "", plan)
            db.session.commit()
            return redirect(url_for("audits.view_plan", plan_id=record.id))
    return render_template(
        "audits/plans.html", assessment=assessment, plans=fairness_audits.plans_of(assessment), form=form
    )


@bp.route("/audit-plans/<int:plan_id>")
@login_required
def view_plan(plan_id: int):
    record = db.session.get(AuditPlan, plan_id)
    if record is None:
        abort(404)
    assessment = access.assessment_or_404(current_user, record.assessment_id)
    audits = db.session.query(FairnessAudit).filter_by(plan_id=record.id).order_by(FairnessAudit.id).all()
    statuses = [
        (a, fairness_audits.plan_status(a, json.loads(a.result)) if a.result else None) for a in audits
    ]
    return render_template(
        "audits/plan.html",
        assessment=assessment,
        record=record,
        plan=Plan.from_json(record.content),
        statuses=statuses,
    )


@bp.route("/evidence/<int:evidence_id>/download")
@login_required
def download(evidence_id: int):
    record = access.evidence_or_404(current_user, evidence_id)
    # Streamed from the store in blocks: a bucket's file is not copied to this machine first.
    response = send_file(
        storage.current().open(record.sha256),
        as_attachment=True,
        download_name=record.filename,
        mimetype="application/octet-stream",
    )
    response.content_length = record.size
    return response
