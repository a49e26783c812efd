"""The ``hria`` command line."""
from __future__ import annotations

import functools
import getpass
import json
import sys

import click

from .audit_cli import audit_command
from .explain_cli import explain_command
from .vocabulary import ORGANISATION_KINDS, ROLES


def with_app(migrate: bool):
    """Run the command inside an application context, its changes attributed to the command line.

    With ``migrate`` the schema is brought up to date first; otherwise a database
    that is not up to date stops the command with advice.
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            from . import audit, create_app, database

            app = create_app()
            if migrate:
                database.upgrade(app)
            elif not database.is_current(app):
                raise click.ClickException("The database schema is missing or out of date: run `hria init` first.")
            with app.app_context(), audit.acting_as(f"cli:{getpass.getuser()}"):
                return func(app, *args, **kwargs)

        return wrapper

    return decorate


@click.group(help="HRIA: human-rights impact assessment of urban AI systems.")
@click.version_option(package_name="hria")
def main() -> None:
    pass


@main.command(help="Create the instance folder and bring the database schema up to date.")
def init() -> None:
    from . import create_app, database
    from .extensions import db

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

    from . import demo
    from .audits import runner

    if with_demo:
        if demo.is_empty():
            demo.seed(app.instance_path)
        logins = demo.saved_logins(app.instance_path)
        if logins:
            click.echo(demo.format_logins(logins))
    interrupted = runner.fail_interrupted()
    if interrupted:
        click.echo(f"{interrupted} fairness audits were interrupted when the server last stopped; run them again.")
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    click.echo(f"HRIA is running at http://{shown}:{port}/  (instance: {app.instance_path}; Ctrl+C stops it)")
    sys.stdout.flush()
    waitress.serve(app, host=host, port=port, threads=threads, ident="hria", _quiet=True)


@main.command("demo", help="Seed demo organisations, users and systems into an empty database.")
@with_app(migrate=True)
def demo_command(app) -> None:
    from . import accounts, demo

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

    from . import accounts
    from .extensions import db
    from .models import Organisation

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

    from .questions import coverage_problems

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
    from .vocabulary import LIFECYCLE_STAGES

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

    from .extensions import db
    from .models import Assessment

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


@main.group(help="The audit trail.")
def events() -> None:
    pass


@events.command("verify", help="Check the hash chain of the audit trail; exit 1 at the first broken event.")
@with_app(migrate=False)
def verify_events(app) -> None:
    from . import audit
    from .extensions import db

    report = audit.verify_chain(db.session)
    if report.intact:
        click.echo(f"Audit trail intact: {report.count} events.")
        return
    click.echo(
        f"Audit trail broken at event #{report.broken_seq} (id {report.broken_id}): {report.reason}. "
        f"{report.count} events before it verify.",
        err=True,
    )
    sys.exit(1)
