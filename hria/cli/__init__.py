"""The ``hria`` command line."""
from __future__ import annotations

import functools
import getpass
import json
import sys

import click

from hria.cli.fairness import audit_command
from hria.cli.explain import explain_command
from hria.domain.vocabulary import ORGANISATION_KINDS, ROLES, ReportKind


def with_app(migrate: bool):
    """Run the command inside an application context, its changes attributed to the command line.

    With ``migrate`` the schema is brought up to date first; otherwise a database
    that is not up to date stops the command with advice.
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            from hria import create_app, database
            from hria.domain import trail

            app = create_app()
            if migrate:
                database.upgrade(app)
            elif not database.is_current(app):
                raise click.ClickException("The database schema is missing or out of date: run `hria init` first.")
            with app.app_context(), trail.acting_as(f"cli:{getpass.getuser()}"):
                return func(app, *args, **kwargs)

        return wrapper

    return decorate


@click.group(help="HRIA: human-rights impact assessment of urban AI systems.")
@click.version_option(package_name="hria")
def main() -> None:
    pass


@main.command(help="Create the instance folder and bring the database schema up to date.")
def init() -> None:
    from hria import create_app, database
    from hria.extensions import db

    app = create_app()
    before, after = database.upgrade(app)
    click.echo(f"Instance folder: {app.instance_path}")
    with app.app_context():
        click.echo(f"Database: {db.engine.url.render_as_string(hide_password=True)}")
    if before == after:
        click.echo(f"Schema already up to date (revision {after}).")
    else:
        click.echo(f"Schema migrated from {before or 'empty'} to revision {after}.")


@main.command(help="Serve the application with the production WSGI server (waitress).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--demo", "with_demo", is_flag=True, help="Seed demo data first if the database is empty.")
@with_app(migrate=True)
def serve(app, host: str, port: int, threads: int, with_demo: bool) -> None:
    import waitress

    from hria.domain import demo
    from hria.domain import fairness_audits

    if with_demo:
        if demo.is_empty():
            demo.seed(app.instance_path)
        logins = demo.saved_logins(app.instance_path)
        if logins:
            click.echo(demo.format_logins(logins))
    from hria.domain import signing_keys
    from hria.extensions import db
    from hria.domain.models import Organisation

    if not signing_keys.authority_path().exists():
        signing_keys.init_keys(db.session.query(Organisation).all())
        click.echo(f"Created a development certificate authority and signing keys in {signing_keys.folder()}.")
    interrupted = fairness_audits.fail_interrupted()
    if interrupted:
        click.echo(f"{interrupted} fairness audits were interrupted when the server last stopped; run them again.")
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    click.echo(f"HRIA is running at http://{shown}:{port}/  (instance: {app.instance_path}; Ctrl+C stops it)")
    sys.stdout.flush()
    waitress.serve(app, host=host, port=port, threads=threads, ident="hria", _quiet=True)


@main.command("demo", help="Seed demo organisations, users and systems into an empty database.")
@with_app(migrate=True)
def demo_command(app) -> None:
    from hria.domain import accounts, demo

    try:
        logins = demo.seed(app.instance_path)
    except accounts.AccountError as error:
        raise click.ClickException(str(error))
    click.echo(demo.format_logins(logins))


@main.command("create-user", help="Create a user (and, with --kind, their organisation).")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES.keys))
@click.option("--organisation", "organisation_name", required=True, help="Name of the user's organisation.")
@click.option("--kind", type=click.Choice(ORGANISATION_KINDS.keys),
              help="Create the organisation with this kind if it does not exist.")
@click.option("--name", default="", help="The person's name.")
@click.option("--password", envvar="HRIA_NEW_PASSWORD", help="Default: generated and printed.")
@with_app(migrate=True)
def create_user(app, email, role, organisation_name, kind, name, password) -> None:
    from sqlalchemy import select

    from hria.domain import accounts
    from hria.extensions import db
    from hria.domain.models import Organisation

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
        raise click.ClickException(str(error))
    click.echo(f"Created {user.email} ({role}, {organisation.name}).")
    if generated:
        click.echo(f"Password: {password}")


main.add_command(audit_command)
main.add_command(explain_command)


@main.group(help="The question banks.")
def questions() -> None:
    pass


@questions.command("check", help="Check a question bank folder (default: the installed banks).")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False))
def check_questions(path) -> None:
    import questionnaires

    from hria.domain.questions import coverage_problems

    bank, problems = questionnaires.check_bank(path)
    if bank is not None and not problems:
        problems = coverage_problems(bank)
    if problems:
        click.echo(f"{len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    index = questionnaires.question_index(bank)
    click.echo(f"Question bank {bank['version']}: {len(index)} questions, valid.")
    from hria.domain.vocabulary import LIFECYCLE_STAGES

    for key in (k for k in LIFECYCLE_STAGES.keys if k in bank["stages"]):
        stage = bank["stages"][key]
        kinds = [q["kind"] for q in stage["questions"]]
        click.echo(f"  {key:<12} {len(kinds):>3} questions ({kinds.count('risk')} risk, "
                   f"{kinds.count('safeguard')} safeguard, {kinds.count('context')} context)")
    cited = sorted({c for q in index.values() for c in q["cites"]},
                   key=lambda c: (int(c[1:].split("(")[0]), c))
    click.echo(f"Paragraphs of the guidelines cited ({len(cited)}): {' '.join(cited)}")


@main.group(help="Assessments.")
def assessments() -> None:
    pass


@assessments.command("list", help="List assessments: id, system, organisation, stage, status, impact level.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_app(migrate=False)
def list_assessments(app, as_json: bool) -> None:
    from sqlalchemy import select

    from hria.extensions import db
    from hria.domain.models import Assessment

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
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for row in table:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


@main.group(help="The event trail.")
def events() -> None:
    pass


@events.command("verify", help="Check the hash chain of the event trail; exit 1 at the first broken event.")
@with_app(migrate=False)
def verify_events(app) -> None:
    from hria.domain import trail
    from hria.extensions import db

    report = trail.verify_chain(db.session)
    if report.intact:
        click.echo(f"Audit trail intact: {report.count} events.")
        return
    click.echo(
        f"Audit trail broken at event #{report.broken_seq} (id {report.broken_id}): {report.reason}. "
        f"{report.count} events before it verify.",
        err=True,
    )
    sys.exit(1)


@main.group(help="Signing keys of the organisations.")
def keys() -> None:
    pass


@keys.command("init", help="Create a development certificate authority and a signing key per organisation.")
@with_app(migrate=True)
def init_keys(app) -> None:
    from hria.domain import signing_keys
    from hria.extensions import db
    from hria.domain.models import Organisation

    made = signing_keys.init_keys(db.session.query(Organisation).order_by(Organisation.id).all())
    click.echo(f"Keys folder: {signing_keys.folder()}")
    click.echo(("Created: " + ", ".join(made)) if made else "Every organisation already has a signing key.")


@keys.command("install", help="Install an organisation's own PKCS#12 signing key.")
@click.argument("organisation")
@click.argument("pkcs12", type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase", envvar="HRIA_SIGNING_PASSPHRASE", prompt=True, hide_input=True)
@with_app(migrate=True)
def install_key(app, organisation, pkcs12, passphrase) -> None:
    from pathlib import Path

    from reports import SigningKeyError

    from hria.domain import signing_keys

    org = _organisation(organisation)
    try:
        signing_keys.install_identity(org, Path(pkcs12), passphrase.encode())
    except SigningKeyError as error:
        raise click.ClickException(str(error))
    click.echo(f"Installed the signing key of {org.name}.")


def _organisation(name: str):
    from hria.extensions import db
    from hria.domain.models import Organisation

    org = db.session.query(Organisation).filter_by(name=name).first()
    if org is None:
        raise click.ClickException(f"There is no organisation named {name!r}.")
    return org


@main.command("report", help="Issue and sign a report of an assessment, as the web does.")
@click.argument("assessment_id", type=int)
@click.option("--kind", type=click.Choice([k.value for k in ReportKind]), default=ReportKind.RISK.value, show_default=True)
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Default: the assessment's language.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), help="Also write the PDF here.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Write the report's content as JSON instead (schema: reports.pdf.REPORT_KEYS); nothing is signed.")
@with_app(migrate=False)
def report_command(app, assessment_id, kind, lang, output, json_path) -> None:
    from reports import SigningKeyError

    from hria.domain import reporting
    from hria.extensions import db
    from hria.domain.models import Assessment

    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise click.ClickException(f"There is no assessment {assessment_id}.")
    if json_path:
        try:
            data = reporting.report_data(assessment, kind, lang or assessment.language,
                                         reporting.issuer_of(assessment, kind), "unsigned export")
        except reporting.ReportError as error:
            raise click.ClickException(str(error))
        from pathlib import Path

        Path(json_path).write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        click.echo(f"Wrote the content of the {kind} report to {json_path}")
        return
    try:
        report = reporting.issue(assessment, kind, None, lang)
        db.session.commit()
    except (reporting.ReportError, SigningKeyError) as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    if output:
        from pathlib import Path

        Path(output).write_bytes(Path(report.path).read_bytes())
    click.echo(f"Issued {report.code}-v{report.version} ({kind}), SHA-256 {report.sha256}"
               + (f", written to {output}" if output else f", stored at {report.path}"))


@main.command("countersign", help="Countersign a registered report as another organisation.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "organisation", required=True, help="The organisation that countersigns.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False))
@with_app(migrate=False)
def countersign_command(app, file, organisation, output) -> None:
    import hashlib
    from pathlib import Path

    from reports import SigningKeyError

    from hria.domain import reporting
    from hria.extensions import db
    from hria.domain.models import Report

    sha = hashlib.sha256(Path(file).read_bytes()).hexdigest()
    report = db.session.query(Report).filter_by(sha256=sha).first()
    if report is None:
        raise click.ClickException("This file is not a report in this instance's registry.")
    try:
        new = reporting.countersign(report, _organisation(organisation), None)
        db.session.commit()
    except (reporting.ReportError, SigningKeyError) as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    Path(output).write_bytes(Path(new.path).read_bytes())
    click.echo(f"Countersigned {new.code}-v{new.version} as {organisation}; SHA-256 {new.sha256}, written to {output}")


@main.group("reports", help="The registry of issued reports.")
def reports_group() -> None:
    pass


@reports_group.command("list", help="List issued reports.")
@click.option("--json", "as_json", is_flag=True)
@with_app(migrate=False)
def list_reports(app, as_json) -> None:
    from hria.extensions import db
    from hria.domain.models import Report

    rows = [{"id": f"{r.code}-v{r.version}", "registry_id": r.id, "assessment": r.assessment_id, "kind": r.kind,
             "path": r.path, "sha256": r.sha256, "signers": json.loads(r.signers), "issued_at": r.issued_at.isoformat(),
             "superseded_by": r.superseded_by_id} for r in db.session.query(Report).order_by(Report.id)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        state = f"superseded by {row['superseded_by']}" if row["superseded_by"] else "current"
        click.echo(f"{row['registry_id']:>4}  {row['id']:<24} assessment {row['assessment']:<4} {row['kind']:<18} "
                   f"{', '.join(row['signers'])}  {state}")
    if not rows:
        click.echo("No reports issued.")


@main.command("verify", help="Verify a signed PDF report: exit 0 only if every signature is intact, trusted and by a "
                             "party to the report, nothing but signatures was added, and it is the current version; "
                             "1 if not; 2 if it is not a signed PDF.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_app(migrate=False)
def verify_command(app, file) -> None:
    from pathlib import Path

    from reports.verify import NotSignedPdf

    from hria.domain import reporting

    try:
        checked = reporting.verify(Path(file).read_bytes())
    except NotSignedPdf as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    for i, s in enumerate(checked.result.signatures, 1):
        kind = "certification" if s.certification else "approval"
        who = s.party.described if s.party else (s.organisation or "—")
        click.echo(f"Signature {i} ({s.field}, {kind}): {s.signer} for {who}, signed {s.signing_time}")
        click.echo(f"  integrity: {'intact' if s.intact else 'BROKEN'}; trust: "
                   f"{'trusted' if s.trusted else 'NOT trusted by this instance'}; covers the whole file: "
                   f"{'yes' if s.covers_whole_file else 'no'} ({s.coverage}); changed afterwards: "
                   f"{s.later_changes} ({s.modification}{'' if s.later_changes_allowed else ', NOT allowed'})")
    for problem in checked.problems():
        click.echo(f"Problem: {problem}")
    click.echo(f"Registry: {checked.registry_note()}")
    click.echo(checked.verdict)
    sys.exit(0 if checked.ok else 1)


@main.command("export", help="Export an assessment as JSON signed with its organisation's key.")
@click.argument("assessment_id", type=int)
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False))
@with_app(migrate=False)
def export_command(app, assessment_id, output) -> None:
    from pathlib import Path

    from hria.domain import transfer
    from hria.extensions import db
    from hria.domain.models import Assessment

    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise click.ClickException(f"There is no assessment {assessment_id}.")
    document = transfer.export(assessment)
    db.session.commit()
    Path(output).write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    click.echo(f"Exported assessment {assessment_id} ({len(document['payload']['assessment']['answers'])} answers), "
               f"signed for {document['payload']['organisation']}, to {output}")


@main.command("import", help="Import a signed assessment export once. Exit 1 when it is refused (signature, signer or "
                             "trust fails, or it was imported before), 2 when the file is not a well-formed export.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--organisation", required=True, help="The buying organisation that will own it here.")
@with_app(migrate=False)
def import_command(app, file, organisation) -> None:
    from hria.domain import transfer
    from hria.extensions import db

    try:
        assessment = transfer.import_assessment(transfer.read(file), _organisation(organisation), None)
        db.session.commit()
    except transfer.MalformedExport as error:
        db.session.rollback()
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    except transfer.TransferError as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    click.echo(f"Imported as assessment {assessment.id} of {organisation}; answers are marked as carried over.")
