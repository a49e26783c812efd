from collections.abc import Sequence

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from hria.domain import access
from hria.domain.models import Assessment, System
from hria.extensions import db

bp = Blueprint("home", __name__)


SYSTEMS_PER_PAGE = 25


@bp.route("/")
@login_required
def dashboard():
    # A page of systems at a time, their owners in one query: an oversight body sees hundreds of systems.
    systems_page = db.paginate(
        access.visible_systems(current_user)
        .options(selectinload(System.owner))
        .order_by(System.name, System.id),
        page=request.args.get("page", 1, type=int),
        per_page=SYSTEMS_PER_PAGE,
        error_out=False,
    )
    systems = systems_page.items
    visible = access.visible_assessments(current_user)
    assessments = db.session.scalars(
        visible.where(Assessment.system_id.in_([s.id for s in systems])).order_by(Assessment.created_at)
    ).all()
    by_system: dict[int, list[Assessment]] = {}
    for assessment in assessments:
        by_system.setdefault(assessment.system_id, []).append(assessment)
    imported_from, imported_into = _imports(
        db.session.scalars(visible.where(Assessment.imported_from_id.isnot(None))).all()
    )
    from hria.domain import comments, conditions, tracking

    return render_template(
        "home/dashboard.html",
        systems=systems,
        systems_page=systems_page,
        by_system=by_system,
        can_create=access.can_create_systems(current_user),
        overdue=tracking.overdue_for(current_user),
        notifications=comments.unread(current_user),
        grievances=_grievances_overseen(),
        open_conditions=conditions.open_for(current_user),
        is_overdue=conditions.is_overdue,
        imported_from=imported_from,
        imported_into=imported_into,
    )


def _imports(imported: Sequence[Assessment]) -> tuple[dict[int, System], dict[int, System]]:
    """A buyer that imported a vendor's shared self-certification has two systems of one name: its own
    (system id → the vendor's it came from) and the vendor's (system id → the buyer's it went into)."""
    imported_from: dict[int, System] = {}
    imported_into: dict[int, System] = {}
    for assessment in imported:
        source = db.session.get(Assessment, assessment.imported_from_id)
        if source is not None:
            imported_from[assessment.system_id] = source.system
            imported_into[source.system_id] = assessment.system
    return imported_from, imported_into


def _grievances_overseen():
    """The oversight body's view of the public's grievances: counts, and the replies that are overdue."""
    if current_user.role != "oversight":
        return None
    from hria.domain import grievances

    ids = list(db.session.scalars(access.visible_systems(current_user).with_only_columns(System.id)))
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
