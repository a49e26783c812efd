"""Assessments: listing them, and moving one between instances as signed JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy import select

from hria.cli.app import organisation_named, with_app
from hria.domain import transfer
from hria.domain.models import Assessment
from hria.extensions import db


@click.group(help="Assessments.")
def assessments() -> None:
    pass


@assessments.command("list", help="List assessments: id, system, organisation, stage, status, impact level.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_app(migrate=False)
def list_assessments(app, as_json: bool) -> None:
    rows = [
        {
            "id": a.id,
            "system": a.system.name,
            "organisation": a.system.owner.name,
            "stage": a.stage,
            "status": a.status,
            "language": a.language,
            "impact_level": a.impact_level,
            "created_at": a.created_at.isoformat(),
        }
        for a in db.session.scalars(select(Assessment).order_by(Assessment.id))
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No assessments.")
        return
    columns = ["id", "system", "organisation", "stage", "status", "impact_level"]
    table = [[str(r[c] if r[c] is not None else "—") for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in table)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in table:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


@click.command("export", help="Export an assessment as JSON signed with its organisation's key.")
@click.argument("assessment_id", type=int)
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False))
@with_app(migrate=False)
def export_command(app, assessment_id, output) -> None:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise click.ClickException(f"There is no assessment {assessment_id}.")
    document = transfer.export(assessment)
    db.session.commit()
    Path(output).write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    click.echo(
        f"Exported assessment {assessment_id} ({len(document['payload']['assessment']['answers'])} answers), "
        f"signed for {document['payload']['organisation']}, to {output}"
    )


@click.command(
    "import",
    help="Import a signed assessment export once. Exit 1 when it is refused (signature, signer or "
    "trust fails, or it was imported before), 2 when the file is not a well-formed export.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--organisation", required=True, help="The buying organisation that will own it here.")
@with_app(migrate=False)
def import_command(app, file, organisation) -> None:
    try:
        assessment = transfer.import_assessment(transfer.read(file), organisation_named(organisation), None)
        db.session.commit()
    except transfer.MalformedExport as error:
        db.session.rollback()
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    except transfer.TransferError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Imported as assessment {assessment.id} of {organisation}; answers are marked as carried over."
    )
