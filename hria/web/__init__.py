"""The web layer: one blueprint per thing a user works on, and what every page shares (forms, errors,
headers)."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from hria.web import ids
    from hria.web.accountability.routes import bp as accountability
    from hria.web.admin.routes import bp as admin
    from hria.web.assessments.routes import bp as assessments
    from hria.web.audits.routes import bp as audits
    from hria.web.auth.routes import bp as auth
    from hria.web.clauses.routes import bp as clauses
    from hria.web.comments.routes import bp as comments
    from hria.web.home.routes import bp as home
    from hria.web.public.routes import bp as public
    from hria.web.questionnaire.routes import bp as questionnaire
    from hria.web.reports.routes import bp as reports
    from hria.web.risks.routes import bp as risks
    from hria.web.systems.routes import bp as systems

    app.url_map.converters["int"] = ids.IdConverter  # before any route: every <int:…> id is bounded
    for blueprint in (
        auth,
        home,
        systems,
        assessments,
        questionnaire,
        risks,
        comments,
        audits,
        reports,
        clauses,
    ):
        app.register_blueprint(blueprint)
    app.register_blueprint(admin, url_prefix="/admin")
    app.register_blueprint(public)  # /public/…: no sign-in
    app.register_blueprint(accountability)
