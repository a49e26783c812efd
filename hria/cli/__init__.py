"""The ``hria`` command: one module per command group, each loaded only when its command runs, so that
``hria audit`` on a file does not start the web application."""

from __future__ import annotations

import importlib

import click

COMMANDS = {
    "init": "hria.cli.server:init",
    "serve": "hria.cli.server:serve",
    "worker": "hria.cli.worker:worker",
    "demo": "hria.cli.server:demo_command",
    "create-user": "hria.cli.accounts:create_user",
    "questions": "hria.cli.questions:questions",
    "assessments": "hria.cli.assessments:assessments",
    "export": "hria.cli.assessments:export_command",
    "import": "hria.cli.assessments:import_command",
    "events": "hria.cli.trail:events",
    "keys": "hria.cli.keys:keys",
    "report": "hria.cli.reports:report_command",
    "countersign": "hria.cli.reports:countersign_command",
    "reports": "hria.cli.reports:reports_group",
    "verify": "hria.cli.reports:verify_command",
    "audit": "hria.cli.fairness:audit_command",
    "explain": "hria.cli.explain:explain_command",
    "register-export": "hria.cli.registers:register_export",
    "register-check": "hria.cli.registers:register_check",
    "fria": "hria.cli.fria:fria_command",
    "clauses": "hria.cli.clauses:clauses_command",
}


class Commands(click.Group):
    """A group whose commands are imported when they are used (click's lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name].split(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=Commands, help="HRIA: human-rights impact assessment of urban AI systems.")
@click.version_option(package_name="hria")
def main() -> None:
    pass
