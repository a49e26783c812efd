"""The question banks: checking a folder of banks, listing the versions in use, moving assessments to the
current version."""

from __future__ import annotations

import sys

import click
from sqlalchemy import func, select

import questionnaires
from hria.cli.app import with_app
from hria.domain import access, bank_moves
from hria.domain import questions as questions_domain
from hria.domain.models import Assessment, QuestionBank, User
from hria.domain.questions import coverage_problems
from hria.domain.vocabulary import LIFECYCLE_STAGES
from hria.extensions import db


@click.group(help="The question banks.")
def questions() -> None:
    pass


@questions.command("check", help="Check a question bank folder (default: the installed banks).")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False))
def check_questions(path) -> None:
    bank, problems = questionnaires.check_bank(path)
    if bank is not None and not problems:
        problems = coverage_problems(bank)
    if problems or bank is None:
        click.echo(f"{len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    index = questionnaires.question_index(bank)
    click.echo(f"Question bank {bank['version']}: {len(index)} questions, valid.")

    for key in (k for k in LIFECYCLE_STAGES.keys if k in bank["stages"]):
        stage = bank["stages"][key]
        kinds = [q["kind"] for q in stage["questions"]]
        click.echo(
            f"  {key:<12} {len(kinds):>3} questions ({kinds.count('risk')} risk, "
            f"{kinds.count('safeguard')} safeguard, {kinds.count('context')} context)"
        )
    cited = sorted(
        {c for q in index.values() for c in q["cites"]}, key=lambda c: (int(c[1:].split("(")[0]), c)
    )
    click.echo(f"Paragraphs of the guidelines cited ({len(cited)}): {' '.join(cited)}")
    count = sum(len(q["cites"]) for q in index.values())
    quoted = sum(len(q.get("citations", [])) for q in index.values())
    click.echo(f"Citations: {count}, of which {quoted} quote their paragraph and the quote was found in it.")
    _echo_framework_counts(bank, questionnaires.load_frameworks(path))
    if path is None:
        click.echo(f"Bank versions that can be loaded: {', '.join(questionnaires.bank_folders())}")


def _echo_framework_counts(bank: dict, frameworks: dict) -> None:
    click.echo("Frameworks the questions answer (references checked):")
    for row in questionnaires.framework_counts(bank, frameworks):
        still_open = f"; no question yet for {', '.join(row['open'])}" if row["open"] else ""
        click.echo(
            f"  {row['key']:<16} {row['questions']:>3} questions, {row['references']:>3} references, "
            f"{row['elements'] - len(row['open'])} of {row['elements']} elements{still_open}"
        )


@questions.command("versions", help="List the question bank versions and how many assessments use each.")
@with_app(migrate=False)
def list_versions(app) -> None:
    current = questions_domain.current_bank()["version"]
    used = dict(
        db.session.execute(
            select(QuestionBank.version, func.count(Assessment.id))
            .join(Assessment, Assessment.bank_id == QuestionBank.id)
            .group_by(QuestionBank.version)
        ).all()
    )
    for version in sorted(set(questionnaires.bank_folders()) | set(used)):
        mark = " (current)" if version == current else ""
        click.echo(f"{version}{mark}: {used.get(version, 0)} assessment(s)")


@questions.command("move", help="Move assessments to the current question bank, as their owner would.")
@click.argument("assessment_ids", nargs=-1, type=int, required=True)
@click.option("--by", "email", required=True, help="E-mail of a user of the organisation that owns them.")
@with_app(migrate=False)
def move_assessments(app, assessment_ids, email) -> None:
    user = db.session.query(User).filter_by(email=email).first()
    if user is None:
        raise click.ClickException(f"There is no user {email!r}.")
    failed = False
    for assessment_id in assessment_ids:
        assessment = db.session.get(Assessment, assessment_id)
        if assessment is None or not access.can_manage_system(user, assessment.system):
            click.echo(f"Assessment {assessment_id}: not found among those {email} may manage.", err=True)
            failed = True
            continue
        try:
            plan = bank_moves.move(user, assessment)
        except bank_moves.MoveError as error:
            db.session.rollback()
            click.echo(f"Assessment {assessment_id}: {error}", err=True)
            failed = True
            continue
        db.session.commit()
        again = f"; answer again: {', '.join(plan.to_answer_again)}" if plan.to_answer_again else ""
        click.echo(
            f"Assessment {assessment_id}: {plan.from_version} -> {plan.to_version}, "
            f"{len(plan.carried)} answers carried over; new: {', '.join(plan.new) or 'none'}; "
            f"removed: {', '.join(plan.removed) or 'none'}{again}"
        )
    if failed:
        sys.exit(1)
