"""The question banks: load them and check them. Data only, apart from this loader.

``load_bank()`` reads ``bank.yaml``, ``guidelines.yaml`` and ``stages/*.yaml`` from a folder
(this one by default), validates every stage file against ``schema.json`` and then checks
what a schema cannot: unique ids, known paragraphs of the guidelines, citation quotes found in
the text of their paragraph, conditions that refer to earlier questions and their options,
scoring that fits the question type, references to elements of the frameworks defined in
``frameworks/*.yaml``, and complete English and Chinese text. It raises ``BankError`` listing
every problem.

``load_frameworks()`` reads those frameworks (the EU AI Act's Art. 27 assessment, HUDERIA,
ISO/IEC 42005, IAMA): the crosswalk from questions to them is the ``frameworks`` list of each
question, data like the rest of the bank.

This folder holds the current bank; earlier versions stay loadable, unchanged, in
``versions/<version>/`` so that assessments answered against them keep working until their
owners move them to the current one.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
VERSIONS = HERE / "versions"
CITATION = re.compile(r"^§(\d{1,3})(?:\(([a-z])\))?$")
YES_NO = ("yes", "partly", "no", "not_applicable")
SCORED_KINDS = ("risk", "safeguard")

# The bank and its parts are plain data read from YAML, their shape checked against schema.json.
Bank = dict[str, Any]
Entry = dict[str, Any]


class BankError(ValueError):
    """A question bank with problems; ``problems`` lists each one in words."""

    def __init__(self, problems: list[str]):
        super().__init__(
            f"{len(problems)} problem(s) in the question bank:\n" + "\n".join(f"- {p}" for p in problems)
        )
        self.problems = problems


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        problems.append(f"{path.name}: the file is missing.")
    except yaml.YAMLError as error:
        problems.append(f"{path.name}: not valid YAML ({error}).")
    return None


def _schema_problems(name: str, data: Any, definition: str | None = None) -> list[str]:
    """Problems of a stage file against schema.json, or of another file against one of its ``$defs``."""
    import jsonschema

    schema = json.loads((HERE / "schema.json").read_text(encoding="utf-8"))
    if definition is not None:
        schema = {"$ref": f"#/$defs/{definition}", "$defs": schema["$defs"]}
    validator = jsonschema.Draft202012Validator(schema)
    found = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        where = _where(data, list(error.absolute_path))
        message = error.message
        if error.validator == "required":
            missing = re.search(r"'(\w+)' is a required property", message)
            field = missing.group(1) if missing else ""
            message = (
                f"missing translation: '{field}' has no text"
                if field in ("en", "zh")
                else f"'{field}' is required"
            )
        found.append(f"{name}{where}: {message}")
    return found


def _where(data: Any, path: list[str | int]) -> str:
    if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
        try:
            qid = data["questions"][path[1]].get("id", f"#{path[1] + 1}")
        except (IndexError, AttributeError, KeyError):
            qid = f"#{path[1] + 1}"
        rest = ".".join(str(p) for p in path[2:])
        return f" question {qid}" + (f" ({rest})" if rest else "")
    return (" at " + ".".join(str(p) for p in path)) if path else ""


def load_bank(folder: str | Path | None = None) -> Bank:
    """The whole bank as plain data, checked.

    Parameters
    ----------
    folder : str or Path, optional
        A folder with ``bank.yaml``, ``guidelines.yaml`` and ``stages/*.yaml``; by default this package's.

    Returns
    -------
    dict
        The version, rights, answerers, scoring, obligations, risk matrix, pillars and stages (each with its
        sections and questions), and the SHA-256 of the whole.

    Raises
    ------
    BankError
        Listing every problem found.
    """
    bank, problems = check_bank(folder)
    if problems or bank is None:
        raise BankError(problems)
    return bank


def bank_folders() -> dict[str, Path]:
    """Every bank version that can be loaded, by version: the current one and the earlier ones kept."""
    folders = [*sorted(p for p in VERSIONS.glob("*") if (p / "bank.yaml").is_file()), HERE]
    found: dict[str, Path] = {}
    for folder in folders:
        meta = yaml.safe_load((folder / "bank.yaml").read_text(encoding="utf-8")) or {}
        found[str(meta.get("version", folder.name))] = folder
    return found


def load_version(version: str) -> Bank:
    """The bank of that version, current or earlier; ``KeyError`` when there is no such version."""
    folders = bank_folders()
    if version not in folders:
        raise KeyError(f"there is no question bank {version} (there are {', '.join(folders)}).")
    return load_bank(folders[version])


def check_bank(folder: str | Path | None = None) -> tuple[Bank | None, list[str]]:
    """The bank (None when its files cannot be read) and every problem found in it."""
    folder = Path(folder) if folder else HERE
    problems: list[str] = []
    meta = _read_yaml(folder / "bank.yaml", problems)
    # earlier versions kept in versions/ cite the one index of the guidelines, this folder's
    own_index = folder / "guidelines.yaml"
    guidelines = _read_yaml(own_index if own_index.is_file() else HERE / "guidelines.yaml", problems)
    stage_files = sorted((folder / "stages").glob("*.yaml"))
    if not stage_files:
        problems.append("stages/: there is no stage file.")
    if not isinstance(meta, dict) or not isinstance(guidelines, dict):
        return None, problems

    stages = {}
    for path in stage_files:
        data = _read_yaml(path, problems)
        if data is None:
            continue
        found = _schema_problems(f"stages/{path.name}", data)
        if found:
            problems.extend(found)
            continue
        if data["stage"] in stages:
            problems.append(f"stages/{path.name}: stage '{data['stage']}' is defined twice.")
            continue
        stages[data["stage"]] = data

    frameworks, framework_problems = check_frameworks(folder)
    problems.extend(framework_problems)
    problems.extend(_semantic_problems(meta, guidelines, stages, frameworks))
    _normalise_citations(stages)
    bank = {
        "version": str(meta.get("version", "")),
        "title": meta.get("title"),
        "rights": meta.get("rights", []),
        "answered_by": meta.get("answered_by", []),
        "yes_no_values": meta.get("yes_no_values", []),
        "scoring": meta.get("scoring", {}),
        "obligations": meta.get("obligations", {}),
        "risk_matrix": meta.get("risk_matrix", {}),
        "default_points": meta.get("default_points", {}),
        "pillars": guidelines.get("pillars", []),
        "sectors": guidelines.get("sectors", []),
        "stages": stages,
    }
    if not problems:
        _apply_defaults(bank)
    bank["sha256"] = hashlib.sha256(json.dumps(bank, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return bank, problems


def _apply_defaults(bank: Bank) -> None:
    """Yes/partly/no risk and safeguard questions without their own points take the bank's defaults."""
    for stage in bank["stages"].values():
        for q in stage["questions"]:
            if q["type"] == "yes_no" and q["kind"] in SCORED_KINDS and "points" not in q:
                q["points"] = dict(bank["default_points"][q["kind"]])


def _normalise_citations(stages: dict[str, Entry]) -> None:
    """Quoted citations become ``citations`` (primary first) and ``cites`` the bare paragraphs in that order,
    which is what every reader of a bank uses. A bank of bare citations is left exactly as it was."""
    for stage in stages.values():
        for q in stage.get("questions", []):
            cites = q.get("cites", [])
            if not any(isinstance(c, dict) for c in cites):
                continue
            quoted = [c if isinstance(c, dict) else {"ref": c} for c in cites]
            ordered = sorted(quoted, key=lambda c: not c.get("primary", False))
            q["citations"] = [
                {"ref": c["ref"], "quote": c.get("quote", ""), "primary": bool(c.get("primary"))}
                for c in ordered
            ]
            q["cites"] = [c["ref"] for c in ordered]


def paragraph_index(guidelines: Entry) -> dict[int, Entry]:
    """Paragraph number -> its text, lettered sub-paragraphs (letter -> text) and whom it addresses.

    Older indexes list only the letters of each paragraph; their texts are then empty."""
    index: dict[int, Entry] = {}
    for number, entry in (guidelines.get("paragraphs") or {}).items():
        if isinstance(entry, dict):
            index[int(number)] = {
                "text": entry.get("text", ""),
                "sub": entry.get("sub") or {},
                "to": entry.get("to"),
            }
        else:
            index[int(number)] = {"text": "", "sub": {letter: "" for letter in entry or []}, "to": None}
    return index


def _semantic_problems(
    meta: Entry, guidelines: Entry, stages: dict[str, Entry], frameworks: dict[str, Entry]
) -> list[str]:
    problems = []
    paragraphs = paragraph_index(guidelines)
    quotes_required = bool(meta.get("quotes_required"))
    pillars = {p["key"] for p in guidelines.get("pillars", [])}
    sectors = set(guidelines.get("sectors", []))
    rights = {r["key"] for r in meta.get("rights", [])}
    answerers = {a["key"] for a in meta.get("answered_by", [])}
    for key in ("version", "scoring", "obligations", "risk_matrix", "default_points"):
        if key not in meta:
            problems.append(f"bank.yaml: '{key}' is missing.")
    for entry in meta.get("rights", []) + meta.get("answered_by", []) + meta.get("yes_no_values", []):
        for lang in ("en", "zh"):
            if not entry.get(lang):
                problems.append(f"bank.yaml: missing translation: '{entry.get('key')}' has no {lang} text.")
    levels = [row["level"] for row in meta.get("scoring", {}).get("levels", [])]
    for level in levels:
        for item in meta.get("obligations", {}).get(level, []) or [None]:
            if item is None:
                problems.append(f"bank.yaml: impact level {level} has no obligations.")
            elif not item.get("en") or not item.get("zh"):
                problems.append(f"bank.yaml: missing translation in the obligations of level {level}.")

    seen: dict[str, str] = {}
    for stage_key, stage in stages.items():
        sections = {s["key"] for s in stage["sections"]}
        earlier: dict[str, Entry] = {}
        for q in stage["questions"]:
            qid = q["id"]
            where = f"stages/{stage_key}.yaml question {qid}"
            if qid in seen:
                problems.append(f"{where}: duplicate id (also in {seen[qid]}).")
            seen[qid] = f"stages/{stage_key}.yaml"
            if q["section"] not in sections:
                problems.append(f"{where}: unknown section '{q['section']}'.")
            if q["pillar"] not in pillars:
                problems.append(
                    f"{where}: unknown pillar '{q['pillar']}' (use one of {', '.join(sorted(pillars))})."
                )
            for right in q["rights"]:
                if right not in rights:
                    problems.append(f"{where}: unknown right '{right}'.")
            for sector in q.get("sectors", []):
                if sector not in sectors:
                    problems.append(
                        f"{where}: unknown sector '{sector}' (use one of {', '.join(sorted(sectors))})."
                    )
            if q["answered_by"] not in answerers:
                problems.append(f"{where}: unknown answerer '{q['answered_by']}'.")
            problems.extend(
                f"{where}: {p}" for p in _citations_problems(q["cites"], paragraphs, quotes_required)
            )
            problems.extend(f"{where}: {p}" for p in _scoring_problems(q))
            problems.extend(f"{where}: {p}" for p in _framework_problems(q.get("frameworks", []), frameworks))
            if q.get("when"):
                problems.extend(f"{where}: {p}" for p in _condition_problems(q["when"], earlier, stage))
            earlier[qid] = q
    return problems


def check_frameworks(folder: str | Path | None = None) -> tuple[dict[str, Entry], list[str]]:
    """The frameworks of ``frameworks/*.yaml`` by key, in their order, and every problem found in them.

    A bank folder without its own ``frameworks/`` (an earlier version kept in ``versions/``) uses this
    package's, as it does with the guidelines."""
    folder = Path(folder) if folder else HERE
    own = folder / "frameworks"
    files = sorted((own if own.is_dir() else HERE / "frameworks").glob("*.yaml"))
    problems: list[str] = []
    found: dict[str, Entry] = {}
    for path in files:
        name = f"frameworks/{path.name}"
        data = _read_yaml(path, problems)
        if data is None:
            continue
        schema = _schema_problems(name, data, "framework")
        if schema:
            problems.extend(schema)
            continue
        keys = [e["key"] for e in data["elements"]]
        problems.extend(
            f"{name}: element '{key}' is defined twice."
            for key in sorted({k for k in keys if keys.count(k) > 1})
        )
        if data["key"] in found:
            problems.append(f"{name}: framework '{data['key']}' is defined twice.")
            continue
        found[data["key"]] = data
    ordered = sorted(found.values(), key=lambda f: (f["order"], f["key"]))
    return {f["key"]: f for f in ordered}, problems


def load_frameworks(folder: str | Path | None = None) -> dict[str, Entry]:
    """The frameworks questions can be mapped to, by key, checked; ``BankError`` lists every problem."""
    frameworks, problems = check_frameworks(folder)
    if problems:
        raise BankError(problems)
    return frameworks


def _framework_problems(references: list[str], frameworks: dict[str, Entry]) -> list[str]:
    """Each reference names a framework of frameworks/*.yaml and one of its elements."""
    problems = []
    for reference in references:
        key, _, element = reference.partition(":")
        framework = frameworks.get(key)
        if framework is None:
            problems.append(
                f"unknown framework '{key}' in '{reference}' (use one of {', '.join(frameworks) or 'none'})."
            )
        elif element not in {e["key"] for e in framework["elements"]}:
            elements = ", ".join(e["key"] for e in framework["elements"])
            problems.append(
                f"unknown element '{element}' of framework '{key}' in '{reference}' (it has {elements})."
            )
    return problems


def framework_counts(bank: Bank, frameworks: dict[str, Entry]) -> list[Entry]:
    """Per framework, in order: how many questions refer to it, how many references, and which of its
    elements no question supplies."""
    index = question_index(bank)
    counts = []
    for key, framework in frameworks.items():
        by_element = {e["key"]: 0 for e in framework["elements"]}
        questions = 0
        for q in index.values():
            mine = [r.partition(":")[2] for r in q.get("frameworks", []) if r.partition(":")[0] == key]
            questions += bool(mine)
            for element in mine:
                by_element[element] += 1
        counts.append(
            {
                "key": key,
                "name": framework["en"],
                "questions": questions,
                "references": sum(by_element.values()),
                "elements": len(by_element),
                "open": [e["ref"] for e in framework["elements"] if not by_element[e["key"]]],
            }
        )
    return counts


def _citations_problems(cites: list[Any], paragraphs: dict[int, Entry], quotes_required: bool) -> list[str]:
    """Each citation names a paragraph that exists and, when quoted, quotes its text; one is primary."""
    problems: list[str] = []
    quoted = [c for c in cites if isinstance(c, dict)]
    for cite in cites:
        ref = cite["ref"] if isinstance(cite, dict) else cite
        found = _citation_problems(ref, paragraphs)
        problems.extend(found)
        if found:
            continue
        if isinstance(cite, dict):
            problems.extend(_quote_problems(ref, cite.get("quote", ""), paragraphs))
        elif quotes_required:
            problems.append(
                f"citation {ref} has no quote: give a few words of the paragraph as {{ref, quote}}."
            )
    if quoted:
        primary = [c for c in quoted if c.get("primary")]
        if len(primary) != 1 or len(quoted) != len(cites):
            problems.append(
                "say which citation is primary: exactly one citation has 'primary: true'"
                + ("." if len(quoted) == len(cites) else ", and every citation is written as {ref, quote}.")
            )
        elif quotes_required and _addressed_to(primary[0]["ref"], paragraphs) == "national":
            number = primary[0]["ref"][1:].split("(")[0]
            problems.append(
                f"the primary citation {primary[0]['ref']} is addressed to national governments: cite first "
                "the paragraph that speaks to the person answering (local governments or stakeholders) and "
                f"keep §{number} as secondary."
            )
    return problems


def _paragraph_text(ref: str, paragraphs: dict[int, Entry]) -> str:
    match = CITATION.match(ref)
    assert match is not None
    paragraph = paragraphs[int(match.group(1))]
    return str(paragraph["sub"][match.group(2)] if match.group(2) else paragraph["text"])


def _addressed_to(ref: str, paragraphs: dict[int, Entry]) -> str | None:
    match = CITATION.match(ref)
    return paragraphs[int(match.group(1))]["to"] if match else None


def _quote_problems(ref: str, quote: str, paragraphs: dict[int, Entry]) -> list[str]:
    text = _paragraph_text(ref, paragraphs)
    if not text:
        return [
            f"citation {ref} is quoted but guidelines.yaml has no text for {ref} to check the quote against."
        ]
    if not quote.strip():
        return [f"citation {ref} has an empty quote: give a few words that stand in {ref}."]
    if quote not in text:
        return [f"the quote “{quote}” is not in {ref}, which reads: “{text[:80]}…”."]
    return []


def _citation_problems(cite: str, paragraphs: dict[int, Entry]) -> list[str]:
    match = CITATION.match(cite)
    if not match:
        return [f"citation '{cite}' should look like §50 or §50(c)."]
    number, letter = int(match.group(1)), match.group(2)
    if number not in paragraphs:
        return [f"unknown paragraph {cite}: the guidelines have no paragraph {number}."]
    if letter and letter not in paragraphs[number]["sub"]:
        letters = sorted(paragraphs[number]["sub"])
        has = f"(a)–({letters[-1]})" if letters else "no lettered sub-paragraphs"
        return [f"unknown paragraph {cite}: paragraph {number} has {has}."]
    return []


def _scoring_problems(q: Entry) -> list[str]:
    kind, qtype = q["kind"], q["type"]
    has_points = "points" in q or "bands" in q or any("points" in o for o in q.get("options", []))
    problems = []
    if qtype in ("single", "multiple") and not q.get("options"):
        problems.append(f"a {qtype} question needs options.")
    if qtype not in ("single", "multiple") and q.get("options"):
        problems.append(f"a {qtype} question takes no options.")
    if kind == "context" and has_points:
        problems.append("scoring on a context question: only risk and safeguard questions score.")
    if qtype == "text" and has_points:
        problems.append("scoring on a text question: free text cannot be scored.")
    if qtype == "text" and kind != "context":
        problems.append("a text question cannot be a risk or a safeguard; make it context.")
    if kind in SCORED_KINDS:
        if qtype in ("single", "multiple") and not all("points" in o for o in q.get("options", [])):
            problems.append("every option of a scored question needs points.")
        if qtype == "number" and not q.get("bands"):
            problems.append("a scored number question needs bands.")
        if qtype == "evidence" and set(q.get("points", {})) != {"provided"}:
            problems.append("a scored evidence question needs points: {provided: N}.")
        if qtype == "yes_no" and "points" in q:
            unknown = set(q["points"]) - set(YES_NO)
            if unknown:
                problems.append(f"points for unknown answers: {', '.join(sorted(unknown))}.")
        if "bands" in q and q["bands"][-1].get("below") is not None:
            problems.append("the last band must have no 'below' limit.")
    if qtype != "number" and "bands" in q:
        problems.append("only number questions take bands.")
    if kind == "safeguard" and not q.get("remediation"):
        problems.append("a safeguard needs the remediation it suggests when missing.")
    if kind != "safeguard" and q.get("remediation"):
        problems.append("only safeguards suggest remediation.")
    return problems


def _condition_problems(when: Entry, earlier: dict[str, Entry], stage: Entry) -> list[str]:
    target_id = when["question"]
    target = earlier.get(target_id)
    if target is None:
        later = any(q["id"] == target_id for q in stage["questions"])
        return [
            f"the condition refers to {target_id}, which "
            + ("comes later; conditions may only look back." if later else "does not exist in this stage.")
        ]
    if target["type"] == "yes_no":
        allowed = set(YES_NO)
    elif target["type"] in ("single", "multiple"):
        allowed = {o["value"] for o in target.get("options", [])}
    else:
        return [
            f"the condition refers to {target_id}, a {target['type']} question; only choice questions can be "
            "conditions."
        ]
    unknown = [v for v in when["in"] if v not in allowed]
    return [f"the condition refers to option '{v}', which {target_id} does not have." for v in unknown]


def question_index(bank: Bank) -> dict[str, Entry]:
    """Every question of every stage, by id."""
    return {q["id"]: q for stage in bank["stages"].values() for q in stage["questions"]}
