"""Users and organisations from the command line."""

from __future__ import annotations

import click
from sqlalchemy import select

from hria.cli.app import with_app
from hria.domain import accounts
from hria.domain.models import Organisation
from hria.domain.vocabulary import ORGANISATION_KINDS, ROLES
from hria.extensions import db


@click.command("create-user", help="Create a user (and, with --kind, their organisation).")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES.keys))
@click.option("--organisation", "organisation_name", required=True, help="Name of the user's organisation.")
@click.option(
    "--kind",
    type=click.Choice(ORGANISATION_KINDS.keys),
    help="Create the organisation with this kind if it does not exist.",
)
@click.option("--name", default="", help="The person's name.")
@click.option("--password", envvar="HRIA_NEW_PASSWORD", help="Default: generated and printed.")
@with_app(migrate=True)
def create_user(app, email, role, organisation_name, kind, name, password) -> None:
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == organisation_name))
    try:
        if organisation is None:
            if not kind:
                raise accounts.AccountError(
                    f"There is no organisation named {organisation_name!r}. Pass --kind to create it."
                )
            organisation = accounts.create_organisation(organisation_name, kind)
        generated = password is None
        password = password or accounts.generate_password()
        user = accounts.create_user(email, password, role, organisation, name)
        db.session.commit()
    except accounts.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.email} ({role}, {organisation.name}).")
    if generated:
        click.echo(f"Password: {password}")
