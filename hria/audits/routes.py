import json

import pandas as pd
from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from wtforms.validators import ValidationError

from fairness import InputError
from fairness.explain import usable_features
from fairness.loading import open_source

from .. import access, evidence, jobs
from ..extensions import db
from ..models import Evidence, FairnessAudit
from . import runner
from .forms import ExplainForm, MappingForm, UploadForm, guess_columns
from .presentation import present

bp = Blueprint("audits", __name__)

OUTPUTS = evidence.MODEL_OUTPUTS
PREVIEW_ROWS = 5


@bp.route("/assessments/<int:assessment_id>/audits/upload", methods=["POST"])
@login_required
def upload(assessment_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    access.require(access.can_contribute(current_user, assessment))
    form = UploadForm()
    back = redirect(url_for("systems.view_assessment", assessment_id=assessment.id) + "#audits")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return back
    record = None
    try:
        record = evidence.store(form.file.data, assessment, OUTPUTS, current_user.id)
        open_source(evidence.path_of(record.sha256))
    except (evidence.UploadError, InputError) as error:
        db.session.rollback()
        if record is not None:
            evidence.discard_unreferenced(record.sha256)
        flash(f"The file cannot be audited: {error}", "error")
        return back
    db.session.commit()
    return redirect(url_for("audits.configure", assessment_id=assessment.id, evidence_id=record.id))


def _preview(record: Evidence):
    source = open_source(evidence.path_of(record.sha256))
    if source.kind == "parquet":
        import pyarrow.parquet as pq

        batch = next(pq.ParquetFile(source.path).iter_batches(batch_size=PREVIEW_ROWS), None)
        rows = batch.to_pandas() if batch is not None else pd.DataFrame(columns=source.header)
    else:
        rows = pd.read_csv(source.path, sep=source.delimiter, encoding=source.encoding, nrows=PREVIEW_ROWS,
                           dtype=str, keep_default_na=False, header=0)
    return source, rows.head(PREVIEW_ROWS).astype(str).values.tolist()


@bp.route("/assessments/<int:assessment_id>/audits/new/<int:evidence_id>", methods=["GET", "POST"])
@login_required
def configure(assessment_id: int, evidence_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    record = access.evidence_or_404(current_user, evidence_id)
    if record.assessment_id != assessment.id or record.purpose != OUTPUTS:
        return redirect(url_for("systems.view_assessment", assessment_id=assessment.id))
    access.require(access.can_contribute(current_user, assessment))
    try:
        source, preview = _preview(record)
    except InputError as error:
        flash(f"The file cannot be audited: {error}", "error")
        return redirect(url_for("systems.view_assessment", assessment_id=assessment.id))
    form = MappingForm()
    form.set_columns(source.header)
    if not form.is_submitted():
        guessed = guess_columns(source.header)
        form.y_true.data, form.y_pred.data, form.score.data = guessed["y_true"], guessed["y_pred"], guessed["score"]
        form.sensitive_features.data = guessed["sensitive"]
    elif form.validate():
        if form.already_submitted():
            flash("This audit was already started: the form was sent twice.", "info")
            return redirect(url_for("systems.view_assessment", assessment_id=assessment.id) + "#audits")
        try:
            settings = form.settings()
        except ValidationError as error:
            form.reference.errors = [str(error)]
        else:
            job = FairnessAudit(assessment=assessment, evidence=record, settings=json.dumps(settings),
                                status=runner.QUEUED, created_by_id=current_user.id)
            db.session.add(job)
            db.session.commit()
            jobs.submit(current_app._get_current_object(), runner.run, job.id)
            return redirect(url_for("audits.view", audit_id=job.id))
    return render_template("audits/configure.html", assessment=assessment, record=record, form=form,
                           header=source.header, preview=preview, warnings=source.warnings)


@bp.route("/assessments/<int:assessment_id>/explanations/new/<int:evidence_id>", methods=["GET", "POST"])
@login_required
def configure_explanation(assessment_id: int, evidence_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    record = access.evidence_or_404(current_user, evidence_id)
    if record.assessment_id != assessment.id or record.purpose != OUTPUTS:
        abort(404)
    access.require(access.can_contribute(current_user, assessment))
    source, preview = _preview(record)
    form = ExplainForm()
    form.set_columns(source.header)
    numeric = _numeric_columns(source, preview)
    if not form.is_submitted():
        _prefill_explanation(form, assessment, record, source.header)
    elif form.validate():
        if form.already_submitted():
            flash("This explanation was already started: the form was sent twice.", "info")
            return redirect(url_for("systems.view_assessment", assessment_id=assessment.id) + "#audits")
        settings = form.settings(is_score=form.output.data in numeric and _is_score(record, form.output.data))
        job = FairnessAudit(assessment=assessment, evidence=record, kind=runner.EXPLANATION,
                            settings=json.dumps(settings), status=runner.QUEUED, created_by_id=current_user.id)
        db.session.add(job)
        db.session.commit()
        jobs.submit(current_app._get_current_object(), runner.run, job.id)
        return redirect(url_for("audits.view", audit_id=job.id))
    return render_template("audits/explain.html", assessment=assessment, record=record, form=form,
                           header=source.header, preview=preview)


def _numeric_columns(source, preview) -> set[str]:
    numeric = set()
    for i, name in enumerate(source.header):
        values = [row[i] for row in preview if i < len(row)]
        try:
            [float(v) for v in values if v not in ("", "nan", "None")]
            numeric.add(name)
        except ValueError:
            continue
    return numeric


def _is_score(record: Evidence, column: str) -> bool:
    """A numeric output with more than two values is a score; 0/1 is a decision."""
    source = open_source(evidence.path_of(record.sha256))
    if source.kind == "parquet":
        values = pd.read_parquet(source.path, columns=[column])[column]
    else:
        values = pd.read_csv(source.path, sep=source.delimiter, encoding=source.encoding,
                             usecols=[source.header.index(column)], nrows=5000).iloc[:, 0]
    return pd.to_numeric(values, errors="coerce").dropna().nunique() > 2


def _prefill_explanation(form: ExplainForm, assessment, record: Evidence, header: list[str]) -> None:
    """Start from the mapping of the latest audit of the same file, if there is one."""
    previous = (db.session.query(FairnessAudit).filter_by(evidence_id=record.id, kind=runner.AUDIT)
                .order_by(FairnessAudit.id.desc()).first())
    guessed = guess_columns(header)
    settings = json.loads(previous.settings) if previous else {}
    output = settings.get("score") or settings.get("y_pred") or guessed["score"] or guessed["y_pred"]
    sensitive = settings.get("sensitive_features") or guessed["sensitive"]
    outcome = settings.get("y_true") or guessed["y_true"]
    form.output.data = output
    form.pos_label.data = settings.get("pred_pos_label") or ""
    form.sensitive_features.data = sensitive
    others = {settings.get("y_pred"), settings.get("score")} - {output}
    usable = set(usable_features(_sample_rows(record)))
    form.features.data = [h for h in dict.fromkeys(header) if h not in {output, outcome, *sensitive, *others}
                          and h in usable]


SAMPLE_ROWS = 20_000


def _sample_rows(record: Evidence) -> pd.DataFrame:
    """The first rows of an upload, enough to tell identifiers and free text from features."""
    source = open_source(evidence.path_of(record.sha256))
    if source.kind == "parquet":
        import pyarrow.parquet as pq

        batch = next(pq.ParquetFile(source.path).iter_batches(batch_size=SAMPLE_ROWS), None)
        return batch.to_pandas() if batch is not None else pd.DataFrame(columns=source.header)
    frame = pd.read_csv(source.path, sep=source.delimiter, encoding=source.encoding, nrows=SAMPLE_ROWS, header=0,
                        names=[f"{i}" for i in range(len(source.header))], low_memory=False)
    frame.columns = source.header
    return frame


@bp.route("/audits/<int:audit_id>")
@login_required
def view(audit_id: int):
    record = access.audit_or_404(current_user, audit_id)
    settings = json.loads(record.settings)
    if record.kind == runner.EXPLANATION:
        result = json.loads(record.result) if record.result else None
        return render_template("audits/explanation.html", audit=record, settings=settings, result=result,
                               assessment=record.assessment)
    result = present(json.loads(record.result)) if record.result else None
    return render_template("audits/view.html", audit=record, settings=settings, result=result,
                           assessment=record.assessment,
                           can_explain=access.can_contribute(current_user, record.assessment))


@bp.route("/evidence/<int:evidence_id>/download")
@login_required
def download(evidence_id: int):
    record = access.evidence_or_404(current_user, evidence_id)
    return send_file(evidence.path_of(record.sha256), as_attachment=True, download_name=record.filename,
                     mimetype="application/octet-stream")
