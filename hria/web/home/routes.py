from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from hria.domain import access
from hria.domain.models import Assessment, System
from hria.extensions import db

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def dashboard():
    # Owners in one query, not one per system: a vendor or an oversight body sees systems of many buyers.
    systems = db.session.scalars(
        access.visible_systems(current_user).options(selectinload(System.owner)).order_by(System.name)
    ).all()
    assessments = db.session.scalars(
        access.visible_assessments(current_user).order_by(Assessment.created_at)
    ).all()
    by_system: dict[int, list[Assessment]] = {}
    for assessment in assessments:
        by_system.setdefault(assessment.system_id, []).append(assessment)
    from hria.domain import comments, conditions, tracking

    return render_template(
        "home/dashboard.html",
        systems=systems,
        by_system=by_system,
        can_create=access.can_create_systems(current_user),
        overdue=tracking.overdue_for(current_user),
        notifications=comments.unread(current_user),
        grievances=_grievances_overseen(systems),
        open_conditions=conditions.open_for(current_user),
        is_overdue=conditions.is_overdue,
    )


def _grievances_overseen(systems):
    """The oversight body's view of the public's grievances: counts, and the replies that are overdue."""
    if current_user.role != "oversight":
        return None
    from hria.domain import grievances

    ids = [s.id for s in systems]
    return {
        "summary": grievances.summary(ids),
        "overdue": grievances.overdue_of(ids),
        "due_at": grievances.due_at,
    }


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for it on every first visit: an empty answer instead of a 404 in every log."""
    return "", 204


@bp.route("/healthz")
def health():
    return {"status": "ok"}
