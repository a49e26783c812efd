"""The public side: a published system's transparency page, its signed report, the index of published
systems and the grievance form. No sign-in; nothing of an unpublished system answers anything but 404."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from hria.domain import grievances, publication, reporting
from hria.domain.models import System, utcnow
from hria.domain.vocabulary import LANGUAGES
from hria.web.public.forms import GrievanceForm
from hria.web.public.labels import labels

bp = Blueprint("public", __name__, url_prefix="/public")

# A grievance is text: anything larger than this is not one, and is refused before it is read.
MAX_FORM_BYTES = 64 * 1024
_RECEIVED = "public_grievance_reference"


@bp.url_value_preprocessor
def _small_bodies(endpoint, values) -> None:
    """Runs before any before-request hook (the CSRF check reads the form): a public request larger than a
    grievance is refused with 413 before a byte more than the limit is read."""
    request.max_content_length = MAX_FORM_BYTES


@bp.errorhandler(413)
def _too_large(error):
    words = labels(_language("en"))
    return (
        render_template(
            "public/refused.html",
            system=None,
            lang=_language("en"),
            t=words,
            text=(
                f"What you sent is longer than a message here may be ({MAX_FORM_BYTES // 1024} KB). "
                "Shorten it and send it again; nothing was kept."
            ),
        ),
        413,
    )


def _published(system_id: int) -> System:
    system = publication.published_or_none(system_id)
    if system is None:
        abort(404)
    return system


def _language(default: str) -> str:
    chosen = request.args.get("lang", "")
    return chosen if chosen in LANGUAGES else default


def _form(language: str) -> GrievanceForm:
    form = GrievanceForm()
    words = labels(language)
    form.what_happened.label.text = words["what_happened"]
    form.happened_when.label.text = words["when"]
    form.contact.label.text = words["contact"]
    form.submit.label.text = words["send"]
    return form


@bp.route("/")
def index():
    language = _language("en")
    return render_template(
        "public/index.html", systems=publication.published_systems(), lang=language, t=labels(language)
    )


@bp.route("/index.json")
def index_json():
    def absolute(endpoint: str, **values) -> str:
        return url_for(endpoint, _external=True, **values)

    body = {
        "generated_at": utcnow().replace(microsecond=0).isoformat() + "Z",
        "about": (
            "Systems published by the public bodies that run them, each with the SHA-256 of its current "
            "signed report. Download the report and compare its SHA-256, or verify its signatures."
        ),
        "systems": [publication.index_entry(s, absolute) for s in publication.published_systems()],
    }
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json", headers=_shareable()
    )


def _shareable() -> dict[str, str]:
    """Public data may be fetched from other sites' scripts (researchers' notebooks, newsrooms' tools)."""
    return {"Access-Control-Allow-Origin": "*"}


@bp.route("/systems/<int:system_id>")
def system_page(system_id: int, form: GrievanceForm | None = None, status: int = 200):
    system = _published(system_id)
    content = publication.page(system)
    language = _language(content.language)
    return (
        render_template(
            "public/system.html",
            page=content,
            system=system,
            lang=language,
            t=labels(language),
            form=form or _form(language),
            response_days=grievances.response_days(),
            signers=json.loads(content.report.signers) if content.report else [],
        ),
        status,
    )


@bp.route("/systems/<int:system_id>/report.pdf")
def report_pdf(system_id: int):
    system = _published(system_id)
    report = publication.current_report(system)
    if report is None:
        abort(404)
    return Response(
        reporting.pdf_of(report),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{report.label}.pdf"',
            **_shareable(),
        },
    )


@bp.route("/systems/<int:system_id>/grievances", methods=["POST"])
def send_grievance(system_id: int):
    system = _published(system_id)
    language = _language(publication.page_language(system))
    form = _form(language)
    if not form.validate_on_submit():
        return system_page(system_id, form=form, status=400)
    if form.already_submitted():
        return redirect(url_for("public.received", system_id=system.id, lang=language))
    wait = grievances.throttle(request.remote_addr or "unknown")
    if wait:
        minutes = max(1, round(wait / 60))
        return (
            render_template(
                "public/refused.html",
                system=system,
                lang=language,
                t=labels(language),
                text=(
                    f"Many messages were sent from your network in a short time. Wait about {minutes} "
                    f"minute(s), then send yours again. Nothing you wrote was kept."
                ),
            ),
            429,
            {"Retry-After": str(wait)},
        )
    try:
        grievance = grievances.submit(
            system,
            form.what_happened.data or "",
            form.happened_when.data or "",
            form.contact.data or "",
            language,
        )
    except grievances.GrievanceError as error:
        form.what_happened.errors = [*form.what_happened.errors, str(error)]
        return system_page(system_id, form=form, status=400)
    session[_RECEIVED] = [system.id, grievance.reference]
    return redirect(url_for("public.received", system_id=system.id, lang=language))


@bp.route("/systems/<int:system_id>/received")
def received(system_id: int):
    system = _published(system_id)
    language = _language(publication.page_language(system))
    sent_to, reference = session.get(_RECEIVED) or [None, None]
    if sent_to != system.id:
        return redirect(url_for("public.system_page", system_id=system.id))
    return render_template(
        "public/received.html",
        system=system,
        reference=reference,
        lang=language,
        t=labels(language),
        response_days=current_app.config["GRIEVANCE_RESPONSE_DAYS"],
    )
