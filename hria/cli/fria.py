"""The EU AI Act Art. 27(3) notification of an assessment: its content as JSON, or a signed PDF."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hria.cli.app import with_app
from hria.domain import fria
from hria.domain.models import Assessment
from hria.domain.reporting import ReportError
from hria.extensions import db
from reports import SigningKeyError


@click.command(
    "fria",
    help="The content a deployer notifies to the market surveillance authority under EU AI Act Art. 27(3), "
    "filled from the answers of the assessment and of the system's other assessments, each with the question "
    "it comes from; parts without an answer are listed as missing. JSON (keys: reports.fria.FRIA_KEYS) or a "
    "PDF signed with the deployer's key.",
)
@click.argument("assessment_id", type=int)
@click.option(
    "-o", "--output", "output", type=click.Path(dir_okay=False), help="Default: standard output (JSON)."
)
@click.option("--format", "fmt", type=click.Choice(["json", "pdf"]), default="json", show_default=True)
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Default: the assessment's language.")
@with_app(migrate=False)
def fria_command(app, assessment_id, output, fmt, lang) -> None:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise click.ClickException(f"There is no assessment {assessment_id}.")
    if fmt == "json":
        text = json.dumps(fria.notification(assessment, lang), indent=2, ensure_ascii=False)
        if output:
            Path(output).write_text(text + "\n", encoding="utf-8")
            click.echo(f"Wrote the Art. 27(3) notification of assessment {assessment_id} to {output}")
        else:
            click.echo(text)
        return
    if not output:
        raise click.ClickException("A PDF needs a file to be written to: give -o FILE.")
    try:
        pdf = fria.signed_pdf(assessment, None, lang)
        db.session.commit()  # the deployer's certificate, recorded when its key is first used
    except (ReportError, SigningKeyError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    Path(output).write_bytes(pdf)
    click.echo(f"Wrote the signed Art. 27(3) notification of assessment {assessment_id} to {output}")
