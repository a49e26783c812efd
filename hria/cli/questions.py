"""The question banks: checking a folder of banks."""

from __future__ import annotations

import sys

import click

import questionnaires
from hria.domain.questions import coverage_problems
from hria.domain.vocabulary import LIFECYCLE_STAGES


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
