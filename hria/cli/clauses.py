"""Contract clauses for a tender, from a procurement-stage assessment: PDF, DOCX or JSON."""

from __future__ import annotations

from pathlib import Path

import click

from hria.cli.app import with_app
from hria.domain import clauses
from hria.domain.models import Assessment
from hria.extensions import db
from reports.fonts import FontNotFound


@click.command(
    "clauses",
    help="Write the contract clauses that a procurement-stage assessment's risk register and remediation "
    "plan call for, each citing the risk (R-n) and action (A-id) it answers.",
)
@click.argument("assessment_id", type=int)
@click.option("--format", "fmt", type=click.Choice(clauses.FORMATS), default="pdf", show_default=True)
@click.option("--lang", type=click.Choice(clauses.LANGS), help="Default: the assessment's language.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False))
@with_app(migrate=False)
def clauses_command(app, assessment_id, fmt, lang, output) -> None:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise click.ClickException(f"There is no assessment {assessment_id}.")
    try:
        data = clauses.document(assessment, lang)
        content = clauses.render(data, fmt, app.config.get("CJK_FONT"))
    except (clauses.ClauseError, FontNotFound) as error:
        raise click.ClickException(str(error)) from None
    Path(output).write_bytes(content)
    click.echo(
        f"Wrote {len(data['clauses'])} clause(s) for assessment {assessment_id} ({fmt}, {data['lang']}) "
        f"to {output}"
    )
