"""Signed reports: issuing, countersigning, listing and verifying them."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import click

from hria.cli.app import organisation_named, with_app
from hria.domain import reporting
from hria.domain.models import Assessment, Report
from hria.domain.vocabulary import ReportKind
from hria.extensions import db
from reports import SigningKeyError
from reports.verify import NotSignedPdf


@click.command("report", help="Issue and sign a report of an assessment, as the web does.")
@click.argument("assessment_id", type=int)
@click.option(
    "--kind",
    type=click.Choice([k.value for k in ReportKind]),
    default=ReportKind.RISK.value,
    show_default=True,
)
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Default: the assessment's language.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), help="Also write the PDF here.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False),
    help="Write the report's content as JSON instead (schema: reports.pdf.REPORT_KEYS); nothing is signed.",
)
@click.option(
    "--draft",
    is_flag=True,
    help="Issue a report of incomplete work, marked “Draft — incomplete” in the PDF and the registry.",
)
@with_app(migrate=False)
def report_command(app, assessment_id, kind, lang, output, json_path, draft) -> None:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise click.ClickException(f"There is no assessment {assessment_id}.")
    if json_path:
        try:
            data = reporting.report_data(
                assessment,
                kind,
                lang or assessment.language,
                reporting.issuer_of(assessment, kind),
                "unsigned export",
            )
        except reporting.ReportError as error:
            raise click.ClickException(str(error)) from error

        Path(json_path).write_text(
            json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
        click.echo(f"Wrote the content of the {kind} report to {json_path}")
        return
    try:
        report = reporting.issue(assessment, kind, None, lang, draft=draft)
        db.session.commit()
    except (reporting.ReportError, SigningKeyError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    if output:
        Path(output).write_bytes(reporting.pdf_of(report))
    click.echo(
        f"Issued {report.label} ({kind}), SHA-256 {report.sha256}"
        + (f", written to {output}" if output else f", stored at {report.path}")
    )


@click.command("countersign", help="Countersign a registered report as another organisation.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "organisation", required=True, help="The organisation that countersigns.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False))
@with_app(migrate=False)
def countersign_command(app, file, organisation, output) -> None:
    sha = hashlib.sha256(Path(file).read_bytes()).hexdigest()
    report = db.session.query(Report).filter_by(sha256=sha).first()
    if report is None:
        raise click.ClickException("This file is not a report in this instance's registry.")
    try:
        new = reporting.countersign(report, organisation_named(organisation), None)
        db.session.commit()
    except (reporting.ReportError, SigningKeyError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    Path(output).write_bytes(reporting.pdf_of(new))
    click.echo(f"Countersigned {new.label} as {organisation}; SHA-256 {new.sha256}, written to {output}")


@click.group("reports", help="The registry of issued reports.")
def reports_group() -> None:
    pass


@reports_group.command("list", help="List issued reports.")
@click.option("--json", "as_json", is_flag=True)
@with_app(migrate=False)
def list_reports(app, as_json) -> None:
    rows = [
        {
            "id": r.label,
            "registry_id": r.id,
            "assessment": r.assessment_id,
            "kind": r.kind,
            "path": r.path,
            "sha256": r.sha256,
            "signers": json.loads(r.signers),
            "issued_at": r.issued_at.isoformat(),
            "superseded_by": r.superseded_by_id,
        }
        for r in db.session.query(Report).order_by(Report.id)
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        state = f"superseded by {row['superseded_by']}" if row["superseded_by"] else "current"
        click.echo(
            f"{row['registry_id']:>4}  {row['id']:<24} assessment {row['assessment']:<4} {row['kind']:<18} "
            f"{', '.join(row['signers'])}  {state}"
        )
    if not rows:
        click.echo("No reports issued.")


@click.command(
    "verify",
    help="Verify a signed PDF report: exit 0 only if every signature is intact, trusted and by a "
    "party to the report, nothing but signatures was added, and it is the current version; "
    "1 if not; 2 if it is not a signed PDF.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_app(migrate=False)
def verify_command(app, file) -> None:
    try:
        checked = reporting.verify(Path(file).read_bytes())
    except NotSignedPdf as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    for i, s in enumerate(checked.result.signatures, 1):
        kind = "certification" if s.certification else "approval"
        who = s.party.described if s.party else (s.organisation or "—")
        click.echo(f"Signature {i} ({s.field}, {kind}): {s.signer} for {who}, signed {s.signing_time}")
        click.echo(
            f"  integrity: {'intact' if s.intact else 'BROKEN'}; trust: "
            f"{'trusted' if s.trusted else 'NOT trusted by this instance'}; covers the whole file: "
            f"{'yes' if s.covers_whole_file else 'no'} ({s.coverage}); changed afterwards: "
            f"{s.later_changes} ({s.modification}{'' if s.later_changes_allowed else ', NOT allowed'})"
        )
    for problem in checked.problems():
        click.echo(f"Problem: {problem}")
    click.echo(f"Registry: {checked.registry_note()}")
    click.echo(checked.verdict)
    sys.exit(0 if checked.ok else 1)
