"""The organisations' signing keys."""

from __future__ import annotations

from pathlib import Path

import click

from hria.cli.app import organisation_named, with_app
from hria.domain import signing_keys
from hria.domain.models import Organisation
from hria.extensions import db
from reports import SigningKeyError


@click.group(help="Signing keys of the organisations.")
def keys() -> None:
    pass


@keys.command("init", help="Create a development certificate authority and a signing key per organisation.")
@with_app(migrate=True)
def init_keys(app) -> None:
    made = signing_keys.init_keys(db.session.query(Organisation).order_by(Organisation.id).all())
    click.echo(f"Keys folder: {signing_keys.folder()}")
    click.echo(("Created: " + ", ".join(made)) if made else "Every organisation already has a signing key.")


@keys.command("install", help="Install an organisation's own PKCS#12 signing key.")
@click.argument("organisation")
@click.argument("pkcs12", type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase", envvar="HRIA_SIGNING_PASSPHRASE", prompt=True, hide_input=True)
@with_app(migrate=True)
def install_key(app, organisation, pkcs12, passphrase) -> None:
    org = organisation_named(organisation)
    try:
        signing_keys.install_identity(org, Path(pkcs12), passphrase.encode())
    except SigningKeyError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Installed the signing key of {org.name}.")
