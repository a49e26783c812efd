"""Exports of a system to the public algorithm registers (hria.domain.registers)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import url_for

from hria.cli.app import with_app
from hria.domain import registers
from hria.domain.models import System
from hria.extensions import db


def _links(app, base_url: str | None) -> registers.Links:
    """Addresses of the public pages as the instance serves them at ``base_url``; none without one."""
    if not base_url:
        return None

    def link(endpoint: str, **values) -> str:
        with app.test_request_context("/", base_url=base_url):
            return url_for(endpoint, _external=True, **values)

    return link


@click.command(
    "register-export",
    help="Write a system's entry for a public algorithm register as JSON, validated against HRIA's schema of "
    "the register's standard. The fields HRIA cannot fill are listed as missing (on stderr too).",
)
@click.argument("system_id", type=int)
@click.option("--format", "fmt", type=click.Choice(registers.FORMATS), required=True)
@click.option(
    "-o", "--output", "output", type=click.Path(dir_okay=False), help="Write here instead of stdout."
)
@click.option(
    "--base-url",
    help="The address the instance's public pages are served at (https://hria.example.org), for the links to "
    "a published system's page and report.",
)
@with_app(migrate=False)
def register_export(app, system_id, fmt, output, base_url) -> None:
    system = db.session.get(System, system_id)
    if system is None:
        raise click.ClickException(f"There is no system {system_id}; `hria assessments list` shows them.")
    result = registers.export(system, fmt, _links(app, base_url))
    if not result.valid:
        raise click.ClickException(
            f"The {fmt} export of system {system_id} does not match HRIA's schema of the standard:\n  "
            + "\n  ".join(result.errors)
        )
    if output:
        Path(output).write_text(result.json(), encoding="utf-8")
    else:
        click.echo(result.json(), nl=False)
    _report_missing(result, output)


def _report_missing(result: registers.Export, output: str | None) -> None:
    required = sum(m["required"] for m in result.missing)
    click.echo(
        f"{len(result.missing)} fields missing, {required} of them required by the standard"
        + ("" if required else "; the record is complete for submission")
        + (f"; written to {output}" if output else "")
        + ":",
        err=True,
    )
    for item in result.missing:
        mark = "required" if item["required"] else "optional"
        click.echo(f"  {item['field']} ({mark}): {item['reason']}", err=True)


@click.command(
    "register-check",
    help="Check an export file against HRIA's schema of its register's standard, for example after filling "
    "its missing fields by hand. Exits 1 when the file does not match.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def register_check(file) -> None:
    try:
        document = json.loads(Path(file).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"{file} is not a JSON file: {error}") from error
    fmt = document.get("format") if isinstance(document, dict) else None
    if fmt not in registers.FORMATS:
        raise click.ClickException(
            f"{file} names no register format; its 'format' must be one of {', '.join(registers.FORMATS)}."
        )
    errors = registers.validate(document, fmt)
    if errors:
        raise click.ClickException(f"{file} does not match the {fmt} schema:\n  " + "\n  ".join(errors))
    ready = registers.complete(document, fmt)
    click.echo(
        f"{file} matches the {fmt} schema; "
        + ("its record is complete for submission." if ready else "its record still lacks required fields.")
    )
