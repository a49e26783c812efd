"""The shipped question banks are valid and complete; `hria questions check` names each kind of problem."""

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import questionnaires
from hria.cli import main
from hria.domain.vocabulary import LIFECYCLE_STAGES

SOURCE = Path(questionnaires.__file__).resolve().parent


def test_shipped_banks_pass_the_check():
    result = CliRunner().invoke(main, ["questions", "check"])
    assert result.exit_code == 0, result.output
    assert "questions, valid." in result.output
    assert "§50(c)" in result.output and "§81(a)" in result.output
    assert "Citations: 227, of which 227 quote their paragraph" in result.output
    assert "Bank versions that can be loaded: 2026.1, 2026.2" in result.output


def test_shipped_banks_cover_every_stage_with_enough_questions():
    bank = questionnaires.load_bank()
    assert set(bank["stages"]) == set(LIFECYCLE_STAGES.keys)
    counts = {key: len(stage["questions"]) for key, stage in bank["stages"].items()}
    assert all(n >= 10 for n in counts.values()), counts
    assert sum(counts.values()) >= 90
    for q in questionnaires.question_index(bank).values():
        assert q["cites"] and q["text"]["en"] and q["text"]["zh"] and q["help"]["en"] and q["help"]["zh"]
        if q["kind"] == "safeguard":
            assert q["remediation"]["en"] and q["remediation"]["zh"]


@pytest.fixture
def bank_copy(tmp_path):
    target = tmp_path / "bank"
    shutil.copytree(SOURCE, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


def edit(folder: Path, stage: str, change):
    path = folder / "stages" / f"{stage}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def question(data, qid):
    return next(q for q in data["questions"] if q["id"] == qid)


BREAKAGES = {
    "duplicate id": (lambda d: question(d, "SCO-02").update(id="SCO-01"), "question SCO-01: duplicate id"),
    "unknown paragraph": (
        lambda d: question(d, "SCO-02").update(cites=["§999"]),
        "unknown paragraph §999: the guidelines have no paragraph 999",
    ),
    "unknown sub-paragraph": (
        lambda d: question(d, "SCO-02").update(cites=["§50(z)"]),
        "unknown paragraph §50(z): paragraph 50 has (a)–(e)",
    ),
    "condition on a missing question": (
        lambda d: question(d, "SCO-04").update(when={"question": "SCO-77", "in": ["yes"]}),
        "the condition refers to SCO-77, which does not exist in this stage",
    ),
    "condition on a later question": (
        lambda d: question(d, "SCO-04").update(when={"question": "SCO-10", "in": ["yes"]}),
        "the condition refers to SCO-10, which comes later",
    ),
    "condition on a missing option": (
        lambda d: question(d, "SCO-04").update(when={"question": "SCO-03", "in": ["robot"]}),
        "the condition refers to option 'robot', which SCO-03 does not have",
    ),
    "missing translation": (
        lambda d: question(d, "SCO-02")["text"].pop("zh"),
        "question SCO-02 (text): missing translation: 'zh' has no text",
    ),
    "scoring on a text question": (
        lambda d: question(d, "SCO-01").update(points={"yes": 1}),
        "question SCO-01: scoring on a context question",
    ),
    "quote not in its paragraph": (
        lambda d: question(d, "SCO-16").update(
            cites=[{"ref": "§54(d)", "quote": "启动项目", "primary": True}]
        ),
        "question SCO-16: the quote “启动项目” is not in §54(d), which reads: “就技术的道德使用",
    ),
    "citation without a quote": (
        lambda d: question(d, "SCO-06").update(cites=["§56(c)"]),
        "question SCO-06: citation §56(c) has no quote",
    ),
    "two primary citations": (
        lambda d: [c.update(primary=True) for c in question(d, "SCO-10")["cites"]],
        "question SCO-10: say which citation is primary: exactly one citation has 'primary: true'",
    ),
    "national paragraph cited first for the city": (
        lambda d: question(d, "SCO-10").update(
            cites=[{"ref": "§61(d)", "quote": "制定和颁布法规", "primary": True}]
        ),
        "question SCO-10: the primary citation §61(d) is addressed to national governments",
    ),
    "safeguard without remediation": (
        lambda d: question(d, "SCO-02").pop("remediation"),
        "a safeguard needs the remediation it suggests when missing",
    ),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_check_names_each_kind_of_problem(bank_copy, name):
    change, expected = BREAKAGES[name]
    edit(bank_copy, "scoping", change)
    result = CliRunner().invoke(main, ["questions", "check", str(bank_copy)])
    assert result.exit_code == 1, result.output
    assert expected in result.output, result.output


def test_scoring_on_a_free_text_question_is_named(bank_copy):
    def change(data):
        q = question(data, "SCO-01")
        q["kind"] = "risk"
        q["points"] = {"yes": 1}

    edit(bank_copy, "scoping", change)
    result = CliRunner().invoke(main, ["questions", "check", str(bank_copy)])
    assert result.exit_code == 1
    assert "scoring on a text question: free text cannot be scored" in result.output


def test_missing_stage_is_named(bank_copy):
    (bank_copy / "stages" / "retirement.yaml").unlink()
    result = CliRunner().invoke(main, ["questions", "check", str(bank_copy)])
    assert result.exit_code == 1
    assert "stage 'retirement' has no question bank" in result.output


def test_broken_yaml_is_named(bank_copy):
    (bank_copy / "stages" / "design.yaml").write_text("stage: design\nquestions: [unclosed\n")
    result = CliRunner().invoke(main, ["questions", "check", str(bank_copy)])
    assert result.exit_code == 1
    assert "design.yaml: not valid YAML" in result.output


def test_every_citation_is_quoted_and_has_one_primary_paragraph():
    bank = questionnaires.load_bank()
    assert bank["version"] == "2026.2"
    for q in questionnaires.question_index(bank).values():
        primary = [c for c in q["citations"] if c["primary"]]
        assert len(primary) == 1 and q["cites"][0] == primary[0]["ref"], q["id"]
        assert all(c["quote"] for c in q["citations"]), q["id"]


def test_the_citations_the_review_found_loose_are_replaced():
    index = questionnaires.question_index(questionnaires.load_bank())
    assert index["SCO-16"]["cites"] == ["§60", "§62(b)"]
    assert index["RET-15"]["cites"] == ["§66(e)"]
    assert index["DEP-09"]["cites"] == ["§55(f)", "§50(d)"]
    # a city buyer's duty cites the local paragraph first, the national one at most as secondary
    assert index["PRO-06"]["cites"] == ["§55(g)", "§81(a)"]
    assert index["SCO-12"]["citations"][1] == {
        "ref": "§62(c)",
        "quote": "实施针对数据保护和共享的法律框架",
        "primary": False,
    }


def test_the_earlier_bank_stays_loadable_as_it_was():
    earlier = questionnaires.load_version("2026.1")
    assert earlier["version"] == "2026.1"
    index = questionnaires.question_index(earlier)
    assert len(index) == 94
    assert index["SCO-16"]["cites"] == ["§54(d)"] and "citations" not in index["SCO-16"]
    assert set(questionnaires.bank_folders()) >= {"2026.1", "2026.2"}
    with pytest.raises(KeyError, match=r"there is no question bank 1999\.1"):
        questionnaires.load_version("1999.1")


NEW_DUTIES = {
    # duty: (stage, question ids)
    "severity before action": ("scoping", ["SCO-17", "SCO-18", "SCO-19", "SCO-20"]),
    "remediation by severity": ("deployment", ["DEP-21"]),
    "effective grievance channel": ("deployment", ["DEP-17", "DEP-18", "DEP-19", "DEP-20"]),
    "function creep": ("scoping", ["SCO-21", "SCO-22"]),
    "function creep, by contract": ("design", ["DES-17"]),
    "function creep, in operation": ("operation", ["OPS-16", "OPS-17"]),
    "whether remediation worked": ("operation", ["OPS-18", "OPS-19"]),
    "supply chain and leverage": ("procurement", ["PRO-17", "PRO-18", "PRO-19", "PRO-20"]),
}


@pytest.mark.parametrize("duty", sorted(NEW_DUTIES))
def test_the_missing_due_diligence_duties_are_asked_and_scored(duty):
    stage, ids = NEW_DUTIES[duty]
    bank = questionnaires.load_bank()
    stage_ids = [q["id"] for q in bank["stages"][stage]["questions"]]
    index = questionnaires.question_index(bank)
    for qid in ids:
        q = index[qid]
        assert qid in stage_ids
        assert q["kind"] in ("risk", "safeguard"), qid
        if q["type"] == "yes_no":
            assert q["points"]["yes"] > 0 if q["kind"] == "risk" else q["points"]["yes"] == 2
        else:
            assert max(o["points"] for o in q["options"]) == 3
        if q["kind"] == "safeguard":
            assert q["remediation"]["en"] and q["remediation"]["zh"]
        assert q["text"]["zh"] and q["help"]["zh"]
    # where the UN Guiding Principles are the source, they are the framework reference
    assert any(r.startswith("UNGP") for qid in ids for r in index[qid]["refs"])
    assert all(qid not in questionnaires.question_index(questionnaires.load_version("2026.1")) for qid in ids)
