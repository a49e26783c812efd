"""What a command that works on the instance's database runs inside."""

from __future__ import annotations

import functools
import getpass

import click

from hria import create_app, database
from hria.domain import trail
from hria.domain.models import Organisation
from hria.extensions import db


def with_app(migrate: bool):
    """Run the command inside an application context, its changes attributed to the command line.

    With ``migrate`` the schema is brought up to date first; otherwise a database
    that is not up to date stops the command with advice.
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            app = create_app()
            if migrate:
                database.upgrade(app)
            elif not database.is_current(app):
                raise click.ClickException(
                    "The database schema is missing or out of date: run `hria init` first."
                )
            with app.app_context(), trail.acting_as(f"cli:{getpass.getuser()}"):
                return func(app, *args, **kwargs)

        return wrapper

    return decorate


def organisation_named(name: str) -> Organisation:
    """The organisation of that exact name, or a message that there is none."""
    org = db.session.query(Organisation).filter_by(name=name).first()
    if org is None:
        raise click.ClickException(f"There is no organisation named {name!r}.")
    return org
