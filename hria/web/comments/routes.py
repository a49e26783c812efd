"""The comment threads of an assessment: each party reads and writes the threads about what it may read."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from hria.domain import access
from hria.domain import comments as threads
from hria.domain.models import Comment
from hria.extensions import db
from hria.web import ids
from hria.web.context import assessment_context
from hria.web.forms import ButtonForm

bp = Blueprint("comments", __name__)


@bp.route("/assessments/<int:assessment_id>/comments", methods=["GET", "POST"])
@login_required
def comments(assessment_id: int):
    """The comment threads a party reads; posting to a thread it may not read answers 404, like reading it."""
    assessment, _, _ = assessment_context(assessment_id)
    if not access.takes_part(current_user, assessment):
        abort(404)
    targets = threads.targets(current_user, assessment)
    labels = dict(targets)
    if request.method == "POST":
        if not ButtonForm().validate_on_submit():
            abort(400)
        parent_id = ids.from_form(request.form.get("parent_id"))
        parent = None
        if parent_id is not None:
            parent = db.session.get(Comment, parent_id)
            if (
                parent is None
                or parent.assessment_id != assessment.id
                or not access.comment_readable(current_user, parent)
            ):
                abort(404)
            parent = threads.thread_root(parent)
        target = parent.target if parent else request.form.get("target", "")
        if (
            parent is None and target not in labels
        ):  # a new thread only where one is offered: a readable object
            abort(404)
        body = (request.form.get("body") or "").strip()
        if not body:
            flash("Write something before posting.", "error")
        elif len(body) > threads.MAX_BODY:
            flash(f"A comment may be at most {threads.MAX_BODY:,} characters.", "error")
        else:
            threads.post(assessment, current_user, target, body, parent)
            db.session.commit()
            flash("Comment posted; the other parties who may read it are notified.", "info")
        return redirect(url_for("comments.comments", assessment_id=assessment.id))
    threads.mark_read(current_user, assessment)
    db.session.commit()
    return render_template(
        "comments/threads.html",
        assessment=assessment,
        targets=targets,
        labels=labels,
        threads=threads.threads(assessment, current_user),
        form=ButtonForm(),
    )
