"""The `hria` command line."""

import json
import re

from click.testing import CliRunner

from hria.cli import main


def test_help_lists_the_commands():
    result = CliRunner().invoke(main, ["--help"], prog_name="hria")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:3] == [
        "Usage: hria [OPTIONS] COMMAND [ARGS]...",
        "",
        "  HRIA: human-rights impact assessment of urban AI systems.",
    ]
    commands = lines[lines.index("Commands:") + 1 :]
    assert [line.split()[0] for line in commands] == [
        "assessments",
        "audit",
        "clauses",
        "countersign",
        "create-user",
        "demo",
        "events",
        "explain",
        "export",
        "fria",
        "import",
        "init",
        "keys",
        "questions",
        "register-check",
        "register-export",
        "report",
        "reports",
        "serve",
        "verify",
        "worker",
    ]


def test_create_user_with_a_new_organisation(app):
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "create-user",
            "Officer@City.example",
            "--role",
            "procurer",
            "--organisation",
            "City of Lakeside",
            "--kind",
            "buyer",
        ],
    )
    assert result.exit_code == 0, result.output
    created, shown = result.output.splitlines()
    assert created == "Created officer@city.example (procurer, City of Lakeside)."
    assert shown.startswith("Password: ")
    password = shown.removeprefix("Password: ")
    assert len(password) == 16
    with app.test_client() as client:
        from conftest import Auth

        assert Auth(client).login("officer@city.example", password).status_code == 302


def test_create_user_refuses_a_role_that_does_not_fit(app, world):
    result = CliRunner().invoke(
        main, ["create-user", "x@y.example", "--role", "oversight", "--organisation", "Vendor A"]
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: An oversight cannot belong to Vendor A, which is a vendor; "
        "its users are vendors (or admins).\n"
    )


def test_create_user_needs_kind_for_an_unknown_organisation(app):
    result = CliRunner().invoke(
        main, ["create-user", "x@y.example", "--role", "procurer", "--organisation", "Nowhere"]
    )
    assert result.exit_code == 1
    assert "There is no organisation named 'Nowhere'. Pass --kind to create it." in result.output


def test_assessments_list_json(app, world):
    result = CliRunner().invoke(main, ["assessments", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [
        (r["id"], r["system"], r["organisation"], r["stage"], r["status"], r["impact_level"]) for r in rows
    ] == [
        (world.assessments["a"], "Benefit scoring A", "City A", "scoping", "draft", None),
        (world.assessments["b"], "Benefit scoring B", "City B", "scoping", "draft", None),
    ]


def test_assessments_list_table(app, world):
    result = CliRunner().invoke(main, ["assessments", "list"])
    assert result.exit_code == 0, result.output
    assert [re.split(r"\s{2,}", line) for line in result.output.splitlines()] == [
        ["id", "system", "organisation", "stage", "status", "impact_level"],
        [str(world.assessments["a"]), "Benefit scoring A", "City A", "scoping", "draft", "—"],
        [str(world.assessments["b"]), "Benefit scoring B", "City B", "scoping", "draft", "—"],
    ]


def test_demo_seeds_once(app):
    runner = CliRunner()
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "procurer@riverton.example" in result.output
    assert "oversight@oversight-board.example" in result.output
    listing = json.loads(runner.invoke(main, ["assessments", "list", "--json"]).output)
    assert {r["system"] for r in listing} == {
        "Welfare fraud risk score",
        "Traffic camera analytics",
        "Civic FraudSense 3",
        "Street sensor network",
    }
    assert {(r["stage"], r["status"]) for r in listing if r["system"] == "Welfare fraud risk score"} == {
        ("scoping", "in_progress"),
        ("procurement", "approved_with_conditions"),
        ("operation", "approved"),
    }
    again = runner.invoke(main, ["demo"])
    assert again.exit_code == 1
    assert "only into an empty one" in again.output
    verified = runner.invoke(main, ["events", "verify"])
    assert verified.exit_code == 0 and "intact" in verified.output
