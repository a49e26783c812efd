"""HRIA: human-rights impact assessment of urban AI systems (Flask application)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    # Flask is imported here, not with the package: `hria audit` and `hria explain` never start the app.
    from flask import Flask

    from hria.config import instance_path_from_env, load_config
    from hria.web import security

    app = Flask(
        __name__,
        instance_path=instance_path_from_env(),
        instance_relative_config=True,
        template_folder=str(_templates_folder()),
    )
    load_config(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    security.register(app)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to wrap it
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    return app


def _templates_folder() -> Path:
    """Inside the installed package, or at the top of a checkout."""
    installed = Path(__file__).resolve().parent / "templates"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "templates"


def register_extensions(app: Flask) -> None:
    from hria import database
    from hria.domain import trail
    from hria.extensions import csrf, db, login_manager

    database.register_sqlite_pragmas()
    trail.install()
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "strong"


def register_blueprints(app: Flask) -> None:
    from hria import web

    web.register_blueprints(app)


def register_errorhandlers(app: Flask) -> None:
    from hria.web.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from hria.domain import access, risk_register, vocabulary

    def sees_scores(assessment) -> bool:
        """Impact levels and scores are the buyer's side: a vendor sees them only where it self-certifies."""
        return access.reads_buyer_side(current_user, assessment)

    app.jinja_env.globals.update(
        vocab=vocabulary,
        max_upload_mb=app.config["MAX_UPLOAD_MB"],
        sees_scores=sees_scores,
        system_level=risk_register.system_level,
    )
